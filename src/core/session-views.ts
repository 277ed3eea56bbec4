import type { CachedStore } from './cached-store.js';
import { endOf, isSessionLive, type SessionPolicy } from './sessions.js';
import type { SessionDetails, SessionKind } from './store.js';

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
  policy: SessionPolicy,
): Promise<SessionDetails[]> {
  return (await store.listSessionDetails(userId)).filter((session) => isSessionLive(session, now, policy));
}

/** What a listing shows of a session: no token, no hash of one. */
export function toSessionView(session: SessionDetails, policy: SessionPolicy): SessionView {
  return {
    id: session.id,
    kind: session.kind,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: endOf(session, policy),
    clientAddress: session.clientAddress,
    userAgent: session.userAgent,
  };
}
