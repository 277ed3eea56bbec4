import type { CachedStore } from './cached-store.js';
import { consoleSessionPolicy, endOf, isSessionLive, type ConsoleSessionPolicy, type SessionPolicy } from './sessions.js';
import type { Session, SessionDetails, SessionKind } from './store.js';

/** The lifetimes a listing judges sessions by: users' sessions', and the console's for console sessions. */
export interface ListingPolicy extends SessionPolicy {
  readonly consoleSession: ConsoleSessionPolicy;
}

// A console session idle past its 15 minutes has ended, however long users' sessions may idle.
const policyOf = (session: Session, policy: ListingPolicy): SessionPolicy => (session.kind === 'console' ? consoleSessionPolicy(policy.consoleSession) : policy);

/** A live session as its user and operators see it. Never a token or a hash of one. */
export interface SessionView {
  readonly id: string;
  readonly kind: SessionKind;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** When it ends at the latest: the sooner of its absolute end and its idle end. */
  readonly expiresAt: Date;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
}

/** The user's sessions that are live at `now`, newest first, as the store records them. */
export async function liveSessionsOf(
  store: Pick<CachedStore, 'listSessionDetails'>,
  userId: string,
  now: Date,
  policy: ListingPolicy,
): Promise<SessionDetails[]> {
  return (await store.listSessionDetails(userId)).filter((session) => isSessionLive(session, now, policyOf(session, policy)));
}

/** What a listing shows of a session: no token, no hash of one. */
export function toSessionView(session: SessionDetails, policy: ListingPolicy): SessionView {
  return {
    id: session.id,
    kind: session.kind,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: endOf(session, policyOf(session, policy)),
    clientAddress: session.clientAddress,
    userAgent: session.userAgent,
  };
}
