import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mergeMessages, MESSAGES, say } from './messages.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// The pages and the admin console's, but not the catalogues, which name every key.
const CATALOGUES = new Set(['messages.ts', join('admin', 'admin-messages.ts')]);
const sources = readdirSync(HERE, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !CATALOGUES.has(name))
  .map((name) => readFileSync(join(HERE, name), 'utf8'))
  .join('\n');

describe('the message catalogue', () => {
  it('holds no text that no page shows', () => {
    // Keys reached by a code (`error.<code>`) are found by their prefix.
    const unused = Object.keys(MESSAGES).filter((key) => !sources.includes(`'${key}'`) && !(key.startsWith('error.') && sources.includes('`error.${')));
    expect(unused).toEqual([]);
  });

  it('fills in the places it is given and leaves the others', () => {
    expect(say(MESSAGES, 'error.rate_limited', { seconds: 30 })).toBe('Too many attempts. Try again in 30 seconds.');
    expect(say(MESSAGES, 'page.title', { page: 'Log in' })).toBe('Log in · {product}');
  });

  it("fills in only the values it is given, never what every object inherits", () => {
    const messages = { ...MESSAGES, 'log_in.title': 'Log in {constructor}{toString}' };
    expect(say(messages, 'log_in.title', {})).toBe('Log in {constructor}{toString}');
  });

  it('reports the names every object inherits as unknown keys', () => {
    const problems: string[] = [];
    mergeMessages(JSON.parse('{"constructor": "x", "__proto__": "y", "toString": "z"}') as Record<string, unknown>, problems, 'SESAME_UI_MESSAGES');
    expect(problems).toEqual(['constructor', '__proto__', 'toString'].map((key) => `SESAME_UI_MESSAGES: unknown message key "${key}"`));
  });

  it("takes a deployer's texts for known keys and reports unknown keys and non-strings", () => {
    const problems: string[] = [];
    const merged = mergeMessages({ 'log_in.title': 'Connexion', 'log_in.titel': 'x', 'log_in.submit': 3 }, problems, 'SESAME_UI_MESSAGES');
    expect(merged['log_in.title']).toBe('Connexion');
    expect(merged['log_in.submit']).toBe(MESSAGES['log_in.submit']);
    expect(problems).toEqual(['SESAME_UI_MESSAGES: unknown message key "log_in.titel"', 'SESAME_UI_MESSAGES: the message "log_in.submit" must be a string']);
  });
});
