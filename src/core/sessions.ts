import { generateId, generateSecret, hashSecret } from './secrets.js';
import type { Client } from './audit.js';
import { MAX_USER_AGENT_LENGTH, type Session, type SessionKind, type SessionOrigin } from './store.js';

export interface SessionPolicy {
  /** A session unused for this long has ended (ASVS 7.3.1). */
  readonly sessionIdleTimeoutSeconds: number;
  /** A session this old has ended however active it is (ASVS 7.3.2). */
  readonly sessionAbsoluteLifetimeSeconds: number;
  /** A cookie log-in ends the user's other cookie sessions (the compat contract's one session per user). */
  readonly singleCookieSession: boolean;
}

/** How long an operator's console session lasts (console-sessions.ts). */
export interface ConsoleSessionPolicy {
  /** Unused this long, it has ended (`SESAME_UI_ADMIN_IDLE_TIMEOUT_SECONDS`, 15 minutes by default). */
  readonly idleTimeoutSeconds: number;
  /** This old, it has ended however active (`SESAME_UI_ADMIN_LIFETIME_SECONDS`, 1 hour by default). */
  readonly absoluteLifetimeSeconds: number;
}

/** The console's lifetimes as a session policy, for the checks every session shares. */
export function consoleSessionPolicy(console: ConsoleSessionPolicy): SessionPolicy {
  return { sessionIdleTimeoutSeconds: console.idleTimeoutSeconds, sessionAbsoluteLifetimeSeconds: console.absoluteLifetimeSeconds, singleCookieSession: false };
}

/** A new cookie session for `userId` starting at `now`, and the secret of its cookie. */
export function newCookieSession(userId: string, now: Date, policy: SessionPolicy): { session: Session; secret: string } {
  const secret = generateSecret();
  return { session: newSession(userId, 'cookie', hashSecret(secret), null, now, policy), secret };
}

/** A new token session for `userId` starting at `now`, and the secret of its first refresh token. */
export function newTokenSession(userId: string, now: Date, policy: SessionPolicy): { session: Session; secret: string } {
  const secret = generateSecret();
  return { session: newSession(userId, 'token', null, hashSecret(secret), now, policy), secret };
}

/** A new console session for the operator `userId` starting at `now` (`policy`: the console's own lifetimes), and the secret of its cookie. */
export function newConsoleSession(userId: string, now: Date, policy: SessionPolicy): { session: Session; secret: string } {
  const secret = generateSecret();
  return { session: newSession(userId, 'console', hashSecret(secret), null, now, policy), secret };
}

function newSession(
  userId: string,
  kind: SessionKind,
  tokenHash: string | null,
  refreshHash: string | null,
  now: Date,
  policy: SessionPolicy,
): Session {
  return {
    id: generateId(),
    userId,
    kind,
    tokenHash,
    refreshHash,
    refreshGeneration: 0,
    refreshedAt: null,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + policy.sessionAbsoluteLifetimeSeconds * 1000),
  };
}

/** True while the session is within both its idle timeout and its absolute lifetime at `now`. */
export function isSessionLive(session: Session, now: Date, policy: SessionPolicy): boolean {
  const time = now.getTime();
  return (
    time < session.expiresAt.getTime() &&
    time < session.lastSeenAt.getTime() + policy.sessionIdleTimeoutSeconds * 1000
  );
}

// Least time between two writes of a session's last use: a minute, or a tenth of a shorter
// idle timeout. A write on every check would turn the hottest read into a write; an unwritten
// use does not count, so the interval is also how early an idle session may end.
const TOUCH_INTERVAL_MS = 60_000;
const TOUCH_FRACTION_OF_IDLE = 10;

/** True when the last-seen time is old enough to be worth writing again. */
export function needsTouch(session: Session, now: Date, policy: SessionPolicy): boolean {
  const interval = Math.min(TOUCH_INTERVAL_MS, (policy.sessionIdleTimeoutSeconds * 1000) / TOUCH_FRACTION_OF_IDLE);
  return now.getTime() - session.lastSeenAt.getTime() >= interval;
}

/** The moment before which a session's last use makes it idle at `now`. */
export function idleCutoff(now: Date, policy: SessionPolicy): Date {
  return new Date(now.getTime() - policy.sessionIdleTimeoutSeconds * 1000);
}

/** What a session records of the client that signed in: its address and its user agent, cut short. */
export function originOf(client: Client): SessionOrigin {
  const agent = client.userAgent;
  return {
    clientAddress: client.address,
    // Cut at a code point, so that a cut never leaves half a surrogate pair behind.
    userAgent: agent === undefined || agent === '' ? null : Array.from(agent).slice(0, MAX_USER_AGENT_LENGTH).join(''),
  };
}

/** When the session ends at the latest if it is not used again: the sooner of its absolute end and its idle end. */
export function endOf(session: Session, policy: SessionPolicy): Date {
  return new Date(Math.min(session.expiresAt.getTime(), session.lastSeenAt.getTime() + policy.sessionIdleTimeoutSeconds * 1000));
}
