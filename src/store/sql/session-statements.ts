import { sql, type Kysely, type Transaction, type UpdateResult } from 'kysely';
import type { InsertSessionOptions, Session, SessionDetails, SessionRef, SessionWithEmail } from '../../core/store.js';
import type { FastReads, SqlDialect } from './dialects.js';
import { compileNamed, placeholders, type NamedStatement } from './named-statement.js';
import { SESSION_COLUMNS, toSession, toSessionDetails, toSessionRef, type SessionRow } from './rows.js';
import { compileSessionInsert, type SessionInsert } from './session-insert.js';
import type { Tables } from './tables.js';

type SessionWithEmailRow = SessionRow & { email: string };

/**
 * The sessions table's part of the `Store`. What every session check, log-in and refresh runs
 * is compiled once; the session check's read goes through the engine's fast reads.
 */
export class SessionStatements {
  readonly #db: Kysely<Tables>;
  readonly #reads: FastReads;
  readonly #byId: NamedStatement<SessionWithEmailRow, { sessionId: string }>;
  readonly #byTokenHash: NamedStatement<SessionWithEmailRow, { tokenHash: string }>;
  readonly #insert: SessionInsert;
  readonly #rotateRefresh: NamedStatement<UpdateResult, { sessionId: string; parentHash: string; childHash: string; at: number }>;
  readonly #confirmRefresh: NamedStatement<UpdateResult, { sessionId: string; refreshHash: string; at: number }>;

  constructor(db: Kysely<Tables>, dialect: SqlDialect, reads: FastReads) {
    this.#db = db;
    this.#reads = reads;
    // The session's own columns by name, never `sessions.*`: the origin stays out of the hot row.
    const withEmail = () => db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select(SESSION_COLUMNS).select('users.email');
    const byId = placeholders<{ sessionId: string }>();
    this.#byId = compileNamed(withEmail().where('sessions.id', '=', byId.sessionId), byId);
    const byTokenHash = placeholders<{ tokenHash: string }>();
    this.#byTokenHash = compileNamed(withEmail().where('sessions.token_hash', '=', byTokenHash.tokenHash), byTokenHash);
    this.#insert = compileSessionInsert(db, dialect);
    const rotate = placeholders<{ sessionId: string; parentHash: string; childHash: string; at: number }>();
    this.#rotateRefresh = compileNamed(
      db
        .updateTable('sessions')
        .set({ refresh_hash: rotate.childHash, refresh_generation: sql<number>`refresh_generation + 1`, refreshed_at: rotate.at, last_seen_at: rotate.at })
        .where('id', '=', rotate.sessionId)
        .where('refresh_hash', '=', rotate.parentHash),
      rotate,
    );
    const confirm = placeholders<{ sessionId: string; refreshHash: string; at: number }>();
    this.#confirmRefresh = compileNamed(
      db.updateTable('sessions').set({ last_seen_at: confirm.at }).where('id', '=', confirm.sessionId).where('refresh_hash', '=', confirm.refreshHash),
      confirm,
    );
  }

  /** `Store.insertSession`, inside the transaction `trx`. */
  insert(trx: Transaction<Tables>, session: Session, options: InsertSessionOptions): Promise<SessionRef[] | null> {
    return this.#insert(trx, session, options);
  }

  /** `Store.listUserSessions`. */
  async listOfUser(userId: string): Promise<SessionRef[]> {
    const rows = await this.#db.selectFrom('sessions').select(['id', 'kind', 'token_hash']).where('user_id', '=', userId).execute();
    return rows.map(toSessionRef);
  }

  /** `Store.listSessionDetails`. */
  async listDetails(userId: string): Promise<SessionDetails[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toSessionDetails);
  }

  /** `Store.findSessionByTokenHash`, read from the database. */
  async findByTokenHash(tokenHash: string): Promise<SessionWithEmail | null> {
    const [row] = await this.#reads.rows(this.#byTokenHash, { tokenHash });
    return row ? { ...toSession(row), email: row.email } : null;
  }

  /** `Store.findSessionById`, read from the database. */
  async findById(sessionId: string): Promise<SessionWithEmail | null> {
    const [row] = await this.#reads.rows(this.#byId, { sessionId });
    return row ? { ...toSession(row), email: row.email } : null;
  }

  /** `Store.rotateRefreshToken`. */
  async rotateRefresh(sessionId: string, parentHash: string, childHash: string, at: Date): Promise<boolean> {
    return (await this.#rotateRefresh.changes(this.#db, { sessionId, parentHash, childHash, at: at.getTime() })) > 0n;
  }

  /** `Store.confirmRefreshToken`. */
  async confirmRefresh(sessionId: string, refreshHash: string, at: Date): Promise<boolean> {
    return (await this.#confirmRefresh.changes(this.#db, { sessionId, refreshHash, at: at.getTime() })) > 0n;
  }

  /** `Store.touchSession`. */
  async touch(sessionId: string, seenAt: Date): Promise<boolean> {
    const time = seenAt.getTime();
    const result = await this.#db
      .updateTable('sessions')
      // Never backwards: another instance may have recorded a later use already.
      .set((eb) => ({ last_seen_at: eb.case().when('last_seen_at', '<', time).then(time).else(eb.ref('last_seen_at')).end() }))
      .where('id', '=', sessionId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** `Store.deleteSession`. */
  async delete(sessionId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('sessions').where('id', '=', sessionId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
