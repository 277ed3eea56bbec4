import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

/**
 * The databases of the Flask apps Sesame replaces, as those apps wrote them
 * (test/fixtures/legacy-users/README.md), and every account's password.
 */
export const LEGACY_DIR = fileURLToPath(new URL('../fixtures/legacy-users/', import.meta.url));

export interface LegacyAccount {
  readonly key: string;
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

export const LEGACY_ACCOUNTS: readonly LegacyAccount[] = JSON.parse(readFileSync(`${LEGACY_DIR}accounts.json`, 'utf8')) as LegacyAccount[];

/** The SQLite fixtures: the file, its users table, and its login and hash columns. */
export const LEGACY_SQLITE = [
  { file: 'holberton-flask-sqlalchemy.db', login: 'email', hash: 'hashed_password' },
  { file: 'flask-jwt-course.db', login: 'username', hash: 'password' },
  { file: 'werkzeug-hashes.db', login: 'email', hash: 'password_hash' },
  { file: 'werkzeug-3.1.8-hashes.db', login: 'email', hash: 'password_hash' },
] as const;

export const PYTHON_JWT_AUTH_DUMP = `${LEGACY_DIR}python-jwt-auth.mysql.sql`;

/** A stored hash and the account whose password it holds. */
export interface LegacyHash {
  readonly account: LegacyAccount;
  readonly login: string;
  readonly hash: string;
}

const accountByLogin = (login: string) => {
  const account = LEGACY_ACCOUNTS.find((each) => each.email === login);
  if (!account) throw new Error(`no fixture account logs in as ${login}`);
  return account;
};

/** Every hash of a SQLite fixture, read as the file holds it. */
export function sqliteHashes(fixture: (typeof LEGACY_SQLITE)[number]): LegacyHash[] {
  const db = new Database(`${LEGACY_DIR}${fixture.file}`, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`select ${fixture.login} as login, ${fixture.hash} as hash from users order by id`).all() as Array<{ login: string; hash: string }>;
    return rows.map(({ login, hash }) => ({ account: accountByLogin(login), login, hash }));
  } finally {
    db.close();
  }
}

/** Every hash of python-jwt-auth's dump (its INSERT lines, which hold no escaped quote before the hash). */
export function dumpHashes(): LegacyHash[] {
  const text = readFileSync(PYTHON_JWT_AUTH_DUMP, 'utf8');
  return [...text.matchAll(/^INSERT INTO `user` VALUES \(\d+,'([^']*)','([^']*)'/gm)].map(([, login = '', hash = '']) => ({ account: accountByLogin(login), login, hash }));
}
