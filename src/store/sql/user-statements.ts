import type { Kysely, Selectable } from 'kysely';
import type { StoredPassword, User, UserClaims } from '../../core/store.js';
import type { FastReads } from './dialects.js';
import { compileNamed, placeholders, type NamedStatement } from './named-statement.js';
import { fromClaims, fromUser, toUser } from './rows.js';
import type { Tables, UsersTable } from './tables.js';

/** The users table's part of the `Store`: the reads every log-in and refresh makes are compiled once. */
export class UserStatements {
  readonly #db: Kysely<Tables>;
  readonly #reads: FastReads;
  readonly #byEmailKey: NamedStatement<Selectable<UsersTable>, { emailKey: string }>;
  readonly #byId: NamedStatement<Selectable<UsersTable>, { userId: string }>;

  constructor(db: Kysely<Tables>, reads: FastReads) {
    this.#db = db;
    this.#reads = reads;
    const byEmailKey = placeholders<{ emailKey: string }>();
    this.#byEmailKey = compileNamed(db.selectFrom('users').selectAll().where('email_key', '=', byEmailKey.emailKey), byEmailKey);
    const byId = placeholders<{ userId: string }>();
    this.#byId = compileNamed(db.selectFrom('users').selectAll().where('id', '=', byId.userId), byId);
  }

  /** `Store.insertUser`. */
  async insert(user: User): Promise<void> {
    await this.#db.insertInto('users').values(fromUser(user)).execute();
  }

  /** `Store.findUserByEmailKey`. */
  async findByEmailKey(emailKey: string): Promise<User | null> {
    const [row] = await this.#reads.rows(this.#byEmailKey, { emailKey });
    return row ? toUser(row) : null;
  }

  /** `Store.findUserById`. */
  async findById(userId: string): Promise<User | null> {
    const [row] = await this.#reads.rows(this.#byId, { userId });
    return row ? toUser(row) : null;
  }

  /** `Store.setUserClaims`. */
  async setClaims(userId: string, claims: UserClaims | null, at: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('users')
      .set({ claims: fromClaims(claims), updated_at: at.getTime() })
      .where('id', '=', userId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** `Store.upgradePassword`. */
  async upgradePassword(userId: string, current: StoredPassword, next: StoredPassword, at: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('users')
      .set({ password_hash: next.hash, password_normalization: next.normalization, updated_at: at.getTime() })
      .where('id', '=', userId)
      .where('password_hash', '=', current.hash)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
