import { readFileSync } from 'node:fs';

/** Sesame's version, as package.json states it: what `sesame --version` prints and the OpenAPI document names. */
export const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
