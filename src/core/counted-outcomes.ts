import type { Accounts } from './accounts.js';
import { CacheUnavailableError } from './cache.js';
import type { CookieSessions } from './cookie-sessions.js';
import { AuthError } from './errors.js';
import type { Flow, Metrics } from './metrics.js';
import type { Passwords } from './passwords.js';
import { StoreUnavailableError } from './store.js';
import type { Tokens } from './tokens.js';

type Counted = Pick<Accounts, 'register'> &
  Pick<CookieSessions, 'logIn'> &
  Pick<Passwords, 'changePassword' | 'requestPasswordReset' | 'resetPassword'> &
  Pick<Tokens, 'grantTokens' | 'refreshTokens'>;

/** Why a use case failed, as a label: the error's code (or its reason), `unavailable` for a dependency away, else `error`. */
export function reasonOf(error: unknown): string {
  if (error instanceof AuthError) return error.reason ?? error.code;
  if (error instanceof StoreUnavailableError || error instanceof CacheUnavailableError) return 'unavailable';
  return 'error';
}

function counted<A extends unknown[], R>(metrics: Metrics, flow: Flow, useCase: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      const result = await useCase(...args);
      metrics.outcome(flow, null);
      return result;
    } catch (error) {
      metrics.outcome(flow, reasonOf(error));
      throw error;
    }
  };
}

/**
 * The use cases whose outcomes an operator alerts on, each counted as it ends: log-ins, token
 * grants and refreshes, registrations, resets and password changes. Session checks are not
 * among them: they are the hot path, and their failures are the HTTP counts' 403s and 401s.
 */
export function withCountedOutcomes(useCases: Counted, metrics: Metrics): Counted {
  return {
    register: counted(metrics, 'registration', useCases.register),
    logIn: counted(metrics, 'login', useCases.logIn),
    grantTokens: counted(metrics, 'token_password', useCases.grantTokens),
    refreshTokens: counted(metrics, 'token_refresh', useCases.refreshTokens),
    changePassword: counted(metrics, 'password_change', useCases.changePassword),
    requestPasswordReset: counted(metrics, 'reset_request', useCases.requestPasswordReset),
    resetPassword: counted(metrics, 'reset', useCases.resetPassword),
  };
}
