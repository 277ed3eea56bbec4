import { createRequire } from 'node:module';
import type * as LanguageCommon from '@zxcvbn-ts/language-common';

// Required at first use rather than imported: a deployment without the blocklist never loads it.
const require = createRequire(import.meta.url);
let loaded: ReadonlySet<string> | null = null;

/**
 * The shipped list of common passwords (ASVS 6.2.4, NIST SP 800-63B-4 §3.1.1.2): zxcvbn-ts's
 * 49,233 most common passwords from breach corpora, lower-cased. Loaded at first use (about
 * 35 ms).
 */
export function commonPasswords(): ReadonlySet<string> {
  if (loaded === null) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as typeof LanguageCommon;
    loaded = new Set((dictionary['passwords-common'] ?? []).map((password) => password.toLowerCase()));
  }
  return loaded;
}
