import type { ExpressionBuilder, ExpressionWrapper, Kysely, SqlBool } from 'kysely';
import type { InsertSessionOptions, Session, SessionRef } from '../../core/store.js';
import { compiledOnce, type Compiled, type Runner } from './compiled-queries.js';
import type { SqlDialect } from './dialects.js';
import { fromSession, toSessionRef } from './rows.js';
import type { SessionsTable, Tables } from './tables.js';

/** A condition on the sessions table, as Kysely builds one. */
export type SessionFilter = (eb: ExpressionBuilder<Tables, 'sessions'>) => ExpressionWrapper<Tables, 'sessions', SqlBool>;
type Ref = Pick<SessionsTable, 'id' | 'kind' | 'token_hash'>;

/** Deletes the sessions a filter selects, for the filter's values, and returns them. */
export type Ending = (trx: Runner, values: readonly unknown[]) => Promise<SessionRef[]>;

// Only its keys matter: each column must have a value, since Kysely leaves out a column whose
// value is undefined (and `compiledOnce`'s count would refuse the statement).
const SAMPLE: Session = {
  id: '',
  userId: '',
  kind: 'cookie',
  tokenHash: '',
  refreshHash: '',
  refreshGeneration: 0,
  refreshedAt: new Date(0),
  createdAt: new Date(0),
  lastSeenAt: new Date(0),
  expiresAt: new Date(0),
};
// The order in which the compiled insert takes its values: that of the row's own keys.
const COLUMNS = Object.keys(fromSession(SAMPLE)) as Array<keyof SessionsTable>;

/** Runs `Store.insertSession` inside the transaction `trx`. */
export type SessionInsert = (trx: Runner, session: Session, options: InsertSessionOptions) => Promise<SessionRef[] | null>;

/**
 * A log-in's transaction, its statements compiled once: the password version checked under
 * the user's row lock, the sessions it ends deleted, the new one inserted. Building and
 * compiling them on every log-in cost more of Sesame's own CPU than the engine's work. The
 * result is the ended sessions (the replaced one first), or null, with nothing changed, when
 * the password version is no longer the one checked.
 */
export function compileSessionInsert(db: Kysely<Tables>, dialect: SqlDialect): SessionInsert {
  const version = db.selectFrom('users').select('password_version').where('id', '=', '');
  // Locking the user's row serialises its log-ins: the deletes below see every earlier insert.
  const passwordVersion = compiledOnce(dialect.hasRowLocks ? version.forUpdate() : version, 1);
  const endCookieSessions = compileEnding(db, dialect, (eb) => eb.and([eb('user_id', '=', ''), eb('kind', '=', 'cookie')]), 2);
  const endByTokenHash = compileEnding(db, dialect, (eb) => eb('token_hash', '=', ''), 1);
  const insert = compiledOnce(db.insertInto('sessions').values(fromSession(SAMPLE)), COLUMNS.length);

  return async (trx, session, options) => {
    const [user] = await passwordVersion.run(trx, [session.userId]);
    if (user === undefined || Number(user.password_version) !== options.passwordVersion) return null;
    const ended: SessionRef[] = [];
    if (options.replacesTokenHash !== null) ended.push(...(await endByTokenHash(trx, [options.replacesTokenHash])));
    // The values of the filter's two parameters, in its order: the user, and the kind it names.
    if (options.endOtherCookieSessions) ended.push(...(await endCookieSessions(trx, [session.userId, 'cookie'])));
    const row = fromSession(session);
    await insert.run(trx, COLUMNS.map((column) => row[column]));
    return ended;
  };
}

/**
 * Ending the sessions `filter` selects, compiled once: one `DELETE … RETURNING` where the engine
 * has it; elsewhere (MySQL) the rows are read, then deleted by the same filter. The caller must
 * hold the user's row lock: every session of a user is inserted under it, so no row can join
 * the filter's in between (a token hash is unique and never issued twice). A row another caller
 * deletes in between is reported ended either way.
 */
export function compileEnding(db: Kysely<Tables>, dialect: SqlDialect, filter: SessionFilter, parameters: number): Ending {
  const deleted = db.deleteFrom('sessions').where(filter);
  if (dialect.deleteReturning) {
    const deleting: Compiled<Ref> = compiledOnce(deleted.returning(['id', 'kind', 'token_hash']), parameters);
    return async (trx, values) => (await deleting.run(trx, values)).map(toSessionRef);
  }
  const selecting: Compiled<Ref> = compiledOnce(db.selectFrom('sessions').select(['id', 'kind', 'token_hash']).where(filter), parameters);
  const deleting = compiledOnce(deleted, parameters);
  return async (trx, values) => {
    const rows = await selecting.run(trx, values);
    if (rows.length > 0) await deleting.run(trx, values);
    return rows.map(toSessionRef);
  };
}
