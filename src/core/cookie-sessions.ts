import { auditOrigin, type Client } from './audit.js';
import { checkCredentials, invalidCredentials, type CredentialDeps } from './credentials.js';
import type { CoreDeps, Principal } from './deps.js';
import { AuthError } from './errors.js';
import { hashSecret, isSecretShaped } from './secrets.js';
import { isSessionInUse } from './session-checks.js';
import { newCookieSession, originOf } from './sessions.js';

/** The session API's sessions (DESIGN.md §2): log in with a password, check the cookie, log out. */
export interface CookieSessions {
  /**
   * Checks the credentials and starts a cookie session; returns the session token for the
   * cookie. `previousSessionToken` (the cookie the client still holds, if any) is ended:
   * a new log-in always gets a new session token (ASVS 7.2.4). Throws `invalid_credentials`
   * for an unknown email or a wrong password alike, after the same hashing work.
   */
  logIn(email: string, password: string, previousSessionToken: string | null, client: Client): Promise<{ sessionToken: string }>;

  /** The principal behind a live cookie session, or null. The hot path: one indexed read, a write at most once a minute. */
  validateSessionToken(sessionToken: string): Promise<Principal | null>;

  /** Ends the principal's session, whatever holds it. Throws `invalid_session` when it has already ended. */
  logOut(principal: Principal, client: Client): Promise<void>;
}

type CookieSessionDeps = CredentialDeps &
  Pick<CoreDeps, 'clock' | 'audit'> & {
    readonly store: Pick<CoreDeps['store'], 'insertSession' | 'readCookieSession' | 'touchSession' | 'findSessionById' | 'deleteSession'>;
    readonly config: Pick<CoreDeps['config'], 'password' | 'sessionIdleTimeoutSeconds' | 'sessionAbsoluteLifetimeSeconds' | 'singleCookieSession'>;
  };

export function createCookieSessions(deps: CookieSessionDeps): CookieSessions {
  const { store, clock, config, audit } = deps;

  return {
    async logIn(email, password, previousSessionToken, client) {
      const user = await checkCredentials(deps, email, password, client, 'cookie');
      const { session, secret } = newCookieSession(user.id, clock.now(), config);
      const replacesTokenHash =
        previousSessionToken !== null && isSecretShaped(previousSessionToken) ? hashSecret(previousSessionToken) : null;
      const ended = await store.insertSession(session, {
        passwordVersion: user.passwordVersion,
        origin: originOf(client),
        endOtherCookieSessions: config.singleCookieSession,
        replacesTokenHash,
      });
      // A reset or password change between the check and here made the checked password stale;
      // an operator may have disabled the user meanwhile.
      if (!ended) throw invalidCredentials();
      audit({ event: 'login_succeeded', userId: user.id, sessionId: session.id, via: 'cookie', ...auditOrigin(client) });
      return { sessionToken: secret };
    },

    async validateSessionToken(sessionToken) {
      if (!isSecretShaped(sessionToken)) return null;
      const session = await store.readCookieSession(hashSecret(sessionToken));
      if (session?.kind !== 'cookie' || !(await isSessionInUse(deps, session))) return null;
      return { userId: session.userId, sessionId: session.id, email: session.email };
    },

    async logOut(principal, client) {
      const session = await store.findSessionById(principal.sessionId);
      if (!session || !(await store.deleteSession(session))) throw new AuthError('invalid_session', 'no valid session');
      audit({ event: 'logged_out', userId: principal.userId, sessionId: principal.sessionId, ...auditOrigin(client) });
    },
  };
}
