/**
 * The port of the core's counts (docs/monitoring.md): what an operator alerts on, counted where
 * it happens. Implementations must stay cheap (a few additions): some calls are on the hot
 * path. Labels are closed sets chosen here, never an email, a token or an id.
 */
export interface Metrics {
  /** A use case of `flow` ended: succeeded (`reason` null), or refused or failed for `reason` (an error code, `disabled`, `unavailable`). */
  outcome(flow: Flow, reason: string | null): void;
  /** A password hash was refused because every slot and the queue of its kind were full (a 503). */
  hashRefused(kind: HashKind): void;
  /** A password hash of `kind` took `seconds`, its wait for a slot excluded. */
  hashed(kind: HashKind, seconds: number): void;
  /** An attempt limit refused (`rule`: `account`, `client`, `register_client`, …). */
  limitRefused(rule: string): void;
  /** A session was looked up in the shared cache (Redis): found there, or not. */
  sharedCacheLookup(isHit: boolean): void;
  /** The outbox relay tried one delivery. */
  delivery(channel: DeliveryChannel, outcome: DeliveryOutcome): void;
}

/** The use cases whose outcomes are counted. */
export type Flow = 'login' | 'token_password' | 'token_refresh' | 'registration' | 'reset_request' | 'reset' | 'password_change';

/** `check`: a log-in's verification; `new_password`: a registration's, change's or reset's hash. */
export type HashKind = 'check' | 'new_password';

export type DeliveryChannel = 'webhook' | 'email';

/** `unreadable`: sealed under another secret, left for an instance that has it; `rejected`: refused for good (an SMTP 5xx), removed. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'unreadable' | 'rejected';

/** Counts nothing: when metrics are off, and for tools and tests that do not look. */
export const noMetrics: Metrics = {
  outcome: () => undefined,
  hashRefused: () => undefined,
  hashed: () => undefined,
  limitRefused: () => undefined,
  sharedCacheLookup: () => undefined,
  delivery: () => undefined,
};
