import type { FastifyRequest } from 'fastify';
import type { Auth, Principal } from '../core/auth.js';
import { AuthError } from '../core/errors.js';

/** The compat contract's cookie name. */
export const SESSION_COOKIE = 'session_id';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is behind the request's session; set by `requireSession`, null before it runs. */
    principal: Principal | null;
  }
}

/** The session token the request carries in its cookie, or null. */
export function readSessionToken(request: FastifyRequest): string | null {
  return request.cookies[SESSION_COOKIE] ?? null;
}

/** An `onRequest` hook that resolves the session cookie into `request.principal`, or refuses the request (403). */
export function requireSession(auth: Auth) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = readSessionToken(request);
    const principal = token === null ? null : await auth.validateSessionToken(token);
    if (!principal) throw new AuthError('invalid_session', 'no valid session');
    request.principal = principal;
  };
}

/** The principal set by `requireSession`. Calling it on a route without that hook is a programming error. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reads a principal but does not require a session');
  return request.principal;
}
