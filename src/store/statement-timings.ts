/**
 * The store's hot operations, timed under these fixed names (never their SQL, never a value):
 * the session check's read and touch, the log-in's user read and session write, the refresh
 * grant's rotation, the registration's insert and the outbox relay's claim. Each is one
 * statement, or one short transaction for the session write.
 */
export const TIMED_STATEMENTS = [
  'session_by_token_hash',
  'session_by_id',
  'session_touch',
  'user_by_email',
  'user_insert',
  'session_insert',
  'refresh_rotate',
  'refresh_confirm',
  'outbox_claim',
] as const;
export type TimedStatement = (typeof TIMED_STATEMENTS)[number];

/**
 * Where a store tells how long its hot operations took against the database: a read served
 * from an in-process copy runs none and is not told. Called on the hot path, so an
 * implementation keeps it to a few additions.
 */
export interface StatementTimings {
  /** `statement` took `seconds`, whether it succeeded or failed. */
  took(statement: TimedStatement, seconds: number): void;
}
