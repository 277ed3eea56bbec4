import { sql, type ExpressionBuilder, type ExpressionWrapper, type InsertResult, type Kysely, type SqlBool } from 'kysely';
import type { InsertSessionOptions, Session, SessionRef } from '../../core/store.js';
import type { SqlDialect } from './dialects.js';
import { compileNamed, placeholders, type NamedStatement, type Placeholders, type Runner } from './named-statement.js';
import { fromSession, toSessionRef } from './rows.js';
import type { SessionsTable, Tables } from './tables.js';

/** A condition on the sessions table, as Kysely builds one. */
export type SessionFilter = (eb: ExpressionBuilder<Tables, 'sessions'>) => ExpressionWrapper<Tables, 'sessions', SqlBool>;
type Ref = Pick<SessionsTable, 'id' | 'kind' | 'token_hash'>;

/** Deletes the sessions a filter selects, for the values of its named parameters, and returns them. */
export type Ending<P> = (trx: Runner, params: P) => Promise<SessionRef[]>;

/** Runs `Store.insertSession` inside the transaction `trx`. */
export type SessionInsert = (trx: Runner, session: Session, options: InsertSessionOptions) => Promise<SessionRef[] | null>;

/**
 * A log-in's transaction, its statements compiled once: the password version and the
 * disabled state checked under the user's row lock, the sessions it ends deleted, the new one
 * inserted with its origin, and its start recorded as the user's last sign-in. The result is
 * the ended sessions (the replaced one first), or null, with nothing changed, when the
 * password version is no longer the one checked or the user is disabled or gone.
 */
export function compileSessionInsert(db: Kysely<Tables>, dialect: SqlDialect): SessionInsert {
  const user = placeholders<{ userId: string }>();
  const state = db.selectFrom('users').select(['password_version', 'disabled_at']).where('id', '=', user.userId);
  // Locking the user's row serialises its log-ins, and orders each after or before a disable
  // (which takes the same lock): the deletes below see every earlier insert, and a log-in
  // that waited for a disable sees it.
  const userState = compileNamed(dialect.hasRowLocks ? state.forUpdate() : state, user);
  const cookies = placeholders<{ userId: string }>();
  // The kind is the statement's own, written into its SQL: a compiled statement's parameters are all named.
  const endCookieSessions = compileEnding(db, dialect, cookies, (eb) => eb.and([eb('user_id', '=', cookies.userId), eb('kind', '=', sql.lit('cookie'))]));
  const replaced = placeholders<{ tokenHash: string }>();
  const endByTokenHash = compileEnding(db, dialect, replaced, (eb) => eb('token_hash', '=', replaced.tokenHash));
  const insert = compileRowInsert(db);
  const login = placeholders<{ userId: string; at: number }>();
  const recordLogin = compileNamed(db.updateTable('users').set({ last_login_at: login.at }).where('id', '=', login.userId), login);

  return async (trx, session, options) => {
    const [row] = await userState.run(trx, { userId: session.userId });
    if (row === undefined || Number(row.password_version) !== options.passwordVersion || row.disabled_at !== null) return null;
    const ended: SessionRef[] = [];
    if (options.replacesTokenHash !== null) ended.push(...(await endByTokenHash(trx, { tokenHash: options.replacesTokenHash })));
    if (options.endOtherCookieSessions) ended.push(...(await endCookieSessions(trx, { userId: session.userId })));
    await insert.run(trx, fromSession(session, options.origin));
    await recordLogin.run(trx, { userId: session.userId, at: session.createdAt.getTime() });
    return ended;
  };
}

// Named after the columns, so that a session's row is the statement's parameters.
function compileRowInsert(db: Kysely<Tables>): NamedStatement<InsertResult, SessionsTable> {
  const p = placeholders<SessionsTable>();
  // Every column, as the type demands: Kysely would leave out a column it is not given.
  const row: Placeholders<SessionsTable> = {
    id: p.id,
    user_id: p.user_id,
    kind: p.kind,
    token_hash: p.token_hash,
    refresh_hash: p.refresh_hash,
    refresh_generation: p.refresh_generation,
    refreshed_at: p.refreshed_at,
    created_at: p.created_at,
    last_seen_at: p.last_seen_at,
    expires_at: p.expires_at,
    client_address: p.client_address,
    user_agent: p.user_agent,
  };
  return compileNamed(db.insertInto('sessions').values(row), p);
}

/**
 * Ending the sessions `filter` selects, compiled once, the filter built with the placeholders
 * `p`: one `DELETE … RETURNING` where the engine has it; elsewhere (MySQL) the rows are read,
 * then deleted by the same filter. The caller must hold the user's row lock: every session of
 * a user is inserted under it, so no row can join the filter's in between (a token hash is
 * unique and never issued twice). A row another caller deletes in between is reported ended
 * either way.
 */
export function compileEnding<P>(db: Kysely<Tables>, dialect: SqlDialect, p: Placeholders<P>, filter: SessionFilter): Ending<P> {
  const deleted = db.deleteFrom('sessions').where(filter);
  if (dialect.deleteReturning) {
    const deleting: NamedStatement<Ref, P> = compileNamed(deleted.returning(['id', 'kind', 'token_hash']), p);
    return async (trx, params) => (await deleting.run(trx, params)).map(toSessionRef);
  }
  const selecting: NamedStatement<Ref, P> = compileNamed(db.selectFrom('sessions').select(['id', 'kind', 'token_hash']).where(filter), p);
  const deleting = compileNamed(deleted, p);
  return async (trx, params) => {
    const rows = await selecting.run(trx, params);
    if (rows.length > 0) await deleting.run(trx, params);
    return rows.map(toSessionRef);
  };
}
