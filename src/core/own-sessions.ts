import type { SessionView } from './admin.js';
import type { Client } from './audit.js';
import type { Principal } from './deps.js';

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
