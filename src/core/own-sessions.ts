import { auditOrigin, type Client } from './audit.js';
import type { CoreDeps, Principal } from './deps.js';
import { AuthError } from './errors.js';
import { liveSessionsOf, toSessionView, type ListingPolicy, type SessionView } from './session-views.js';

/** A live session of the caller's, and whether it is the one the caller is using. */
export interface OwnSessionView extends SessionView {
  readonly current: boolean;
}

/** A signed-in user's view of their own sessions (ASVS 7.5.2). */
export interface OwnSessions {
  /** The live sessions of the principal's user, newest first. */
  listOwnSessions(principal: Principal): Promise<OwnSessionView[]>;

  /** Ends one of them. Throws `session_not_found` for an id that is not a live session of this user's. */
  endOwnSession(principal: Principal, sessionId: string, client: Client): Promise<void>;
}

type OwnSessionDeps = Pick<CoreDeps, 'clock' | 'audit'> & {
  readonly store: Pick<CoreDeps['store'], 'listSessionDetails' | 'deleteSession'>;
  readonly config: ListingPolicy;
};

export function createOwnSessions({ store, clock, audit, config }: OwnSessionDeps): OwnSessions {
  return {
    async listOwnSessions(principal) {
      const sessions = await liveSessionsOf(store, principal.userId, clock.now(), config);
      return sessions.map((session) => ({ ...toSessionView(session, config), current: session.id === principal.sessionId }));
    },

    async endOwnSession(principal, sessionId, client) {
      const sessions = await liveSessionsOf(store, principal.userId, clock.now(), config);
      // Another user's session is as unknown as one that never was.
      const session = sessions.find((candidate) => candidate.id === sessionId);
      if (!session || !(await store.deleteSession(session))) throw new AuthError('session_not_found', 'session not found');
      audit({ event: 'session_ended', userId: principal.userId, sessionId, bySessionId: principal.sessionId, ...auditOrigin(client) });
    },
  };
}
