import { existsSync, readFileSync } from 'node:fs';
import type { KeyRingConfig } from '../core/signing-keys.js';
import { isPlaceholderSecret, placeholderProblem } from './is-placeholder-secret.js';
import type { Settings } from './settings.js';

/**
 * The configured signing keys (read from their file if need be), refresh key and key-encryption
 * key, each null when not set; or null after adding to `problems` what is wrong with them.
 */
export function readKeySettings(
  settings: Settings,
  problems: string[],
): Pick<KeyRingConfig, 'configuredSigningKeys' | 'configuredRefreshKey' | 'encryptionKey'> | null {
  const before = problems.length;
  let configuredSigningKeys = settings.SESAME_SIGNING_KEY ?? null;
  const file = settings.SESAME_SIGNING_KEY_FILE;
  if (file !== undefined) {
    if (configuredSigningKeys !== null) problems.push('SESAME_SIGNING_KEY_FILE: set it or SESAME_SIGNING_KEY, not both');
    else if (!existsSync(file)) problems.push(`SESAME_SIGNING_KEY_FILE: no such file: ${file}`);
    else configuredSigningKeys = readFileSync(file, 'utf8');
  }
  const encryptionKey = decodeKey(settings.SESAME_KEY_ENCRYPTION_KEY, 'SESAME_KEY_ENCRYPTION_KEY', (bytes) => bytes === 32, 'exactly 32 bytes', problems);
  const configuredRefreshKey = decodeKey(settings.SESAME_REFRESH_KEY, 'SESAME_REFRESH_KEY', (bytes) => bytes >= 32, 'at least 32 bytes', problems);
  return problems.length > before ? null : { configuredSigningKeys, configuredRefreshKey, encryptionKey };
}

/** A key given as hex or base64(url): random bytes, so the encoding is unambiguous at these lengths; never a placeholder. */
function decodeKey(
  text: string | undefined,
  name: string,
  isLongEnough: (bytes: number) => boolean,
  wanted: string,
  problems: string[],
): Buffer | null {
  if (text === undefined) return null;
  const bytes = /^([0-9a-f]{2})+$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
  const canonical = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text);
  if (!canonical || !isLongEnough(bytes.length)) {
    problems.push(`${name}: must be ${wanted} of random data, as hex or base64 (value hidden); e.g. openssl rand -hex 32`);
    return null;
  }
  if (isPlaceholderSecret(text)) {
    problems.push(placeholderProblem(name, 'openssl rand -hex 32'));
    return null;
  }
  return bytes;
}
