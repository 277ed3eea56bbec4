import { auditOrigin, type Client } from './audit.js';
import { checkCredentials, type CredentialDeps } from './credentials.js';
import type { CoreDeps, Principal } from './deps.js';
import { AuthError } from './errors.js';
import { hashSecret, isSecretShaped } from './secrets.js';
import { isSessionInUse } from './session-checks.js';
import { consoleSessionPolicy, newConsoleSession, originOf } from './sessions.js';
import type { User } from './store.js';

/**
 * The admin console's sign-in (docs/admin-console.md): an operator is a user whose custom claims
 * hold `"admin": true` (`sesame users claims <email> '{"admin":true}'`). They sign in with their
 * own password, under the same attempt limits as every log-in, and get a session of kind
 * `console`: a row of the sessions table like any other (so a password change, a disable or
 * "end all sessions" ends it too), with shorter lifetimes of its own, held by a cookie that no
 * other check accepts. The admin token never enters the picture: nothing of it reaches a browser.
 */
export interface ConsoleSessions {
  /**
   * Checks the credentials as `logIn` does, then the `admin` claim, and starts a console
   * session; returns the token for its cookie. `previousConsoleToken` (the cookie still held, if
   * any) is ended. Throws `invalid_credentials` (unknown email, wrong password, disabled user,
   * alike), `rate_limited`, or `not_an_operator` for the right password of a user without the claim.
   */
  startConsoleSession(email: string, password: string, previousConsoleToken: string | null, client: Client): Promise<{ consoleToken: string }>;

  /**
   * The operator behind a console token, or null. Checked on every console request: the session
   * is live under the console's lifetimes, and its user still exists, is enabled and still has
   * the `admin` claim. A session whose user lost the claim is ended on the spot.
   */
  checkConsoleSession(consoleToken: string): Promise<Principal | null>;

  /** Ends the console session behind the token, if it is still there (a log-out). */
  endConsoleSession(consoleToken: string, client: Client): Promise<void>;
}

type ConsoleDeps = CredentialDeps &
  Pick<CoreDeps, 'clock' | 'audit'> & {
    readonly store: Pick<CoreDeps['store'], 'insertSession' | 'readCookieSession' | 'touchSession' | 'deleteSession' | 'findUserById'>;
    readonly config: Pick<CoreDeps['config'], 'password' | 'unknownAccountAtLogin' | 'consoleSession'>;
  };

/** Whether the user may use the admin console. Only the JSON value `true` counts: not "true", not 1. */
export function isOperator(user: Pick<User, 'claims' | 'disabledAt'>): boolean {
  return user.disabledAt === null && user.claims?.['admin'] === true;
}

export function createConsoleSessions(deps: ConsoleDeps): ConsoleSessions {
  const { store, clock, audit, config } = deps;
  const policy = consoleSessionPolicy(config.consoleSession);
  const checks = { store, clock, config: policy };

  async function findLive(consoleToken: string) {
    if (!isSecretShaped(consoleToken)) return null;
    const session = await store.readCookieSession(hashSecret(consoleToken));
    return session?.kind === 'console' ? session : null;
  }

  return {
    async startConsoleSession(email, password, previousConsoleToken, client) {
      const user = await checkCredentials(deps, email, password, client, 'console');
      if (!isOperator(user)) {
        audit({ event: 'login_failed', account: deps.limits.accountOf(user.emailKey), userId: user.id, via: 'console', reason: 'not_operator', ...auditOrigin(client) });
        throw new AuthError('not_an_operator', 'this account may not use the admin console');
      }
      const { session, secret } = newConsoleSession(user.id, clock.now(), policy);
      const previous = previousConsoleToken !== null && isSecretShaped(previousConsoleToken) ? await findLive(previousConsoleToken) : null;
      // A new sign-in always gets a new token (ASVS 7.2.4); the old one ends, as a log-in's does.
      if (previous !== null && previous.userId === user.id) await store.deleteSession(previous);
      const ended = await store.insertSession(session, { passwordVersion: user.passwordVersion, origin: originOf(client), endOtherCookieSessions: false, replacesTokenHash: null });
      // The password changed, or the user was disabled, between the check and here.
      if (!ended) throw new AuthError('invalid_credentials', 'wrong email or password');
      audit({ event: 'login_succeeded', userId: user.id, sessionId: session.id, via: 'console', ...auditOrigin(client) });
      return { consoleToken: secret };
    },

    async checkConsoleSession(consoleToken) {
      const session = await findLive(consoleToken);
      if (session === null || !(await isSessionInUse(checks, session))) return null;
      // Not cached: the claim and the disable must take effect at the very next request.
      const user = await store.findUserById(session.userId);
      if (user === null || !isOperator(user)) {
        await store.deleteSession(session);
        return null;
      }
      return { userId: user.id, sessionId: session.id, email: user.email };
    },

    async endConsoleSession(consoleToken, client) {
      const session = await findLive(consoleToken);
      if (session !== null && (await store.deleteSession(session))) {
        audit({ event: 'logged_out', userId: session.userId, sessionId: session.id, ...auditOrigin(client) });
      }
    },
  };
}
