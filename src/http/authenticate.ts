import { parse as parseCookies } from 'cookie';
import type { FastifyRequest } from 'fastify';
import type { Auth } from '../core/auth.js';
import type { Principal } from '../core/deps.js';
import { HttpError } from './http-error.js';


declare module 'fastify' {
  interface FastifyRequest {
    /** Who is behind the request's session; set by `requireSession`, null before it runs. */
    principal: Principal | null;
    /** How the principal proved itself; null before `requireSession` runs. */
    credential: 'cookie' | 'bearer' | null;
  }
}

// RFC 6750 §2.1: "Bearer" then a b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The value of the request's cookie named `name`, or null. */
export function readCookie(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  return header === undefined ? null : (parseCookies(header)[name] ?? null);
}

/** The session token the request carries in the cookie named `cookieName`, or null. */
export function readSessionToken(request: FastifyRequest, cookieName: string): string | null {
  return readCookie(request, cookieName);
}

/**
 * The token of an `Authorization: Bearer` header; '' when the header says Bearer but holds no
 * well-formed token; null when there is no such header (other schemes are not ours to read).
 */
export function readBearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header === undefined || !/^bearer(\s|$)/i.test(header)) return null;
  return BEARER.exec(header)?.[1] ?? '';
}

/**
 * An `onRequest` hook that resolves the request's credential into `request.principal`: a
 * bearer access token when the request has one (refused with 401 when it is bad or its session
 * has ended), otherwise the session cookie named `cookieName` (refused with 403).
 */
export function requireSession(auth: Auth, cookieName: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const bearer = readBearerToken(request);
    if (bearer !== null) {
      const principal = bearer === '' ? null : await auth.validateAccessToken(bearer);
      if (!principal) throw new HttpError('invalid_token', 'invalid or expired access token');
      request.principal = principal;
      request.credential = 'bearer';
      return;
    }
    const token = readSessionToken(request, cookieName);
    const principal = token === null ? null : await auth.validateSessionToken(token);
    if (!principal) throw new HttpError('no_session', 'no valid session');
    request.principal = principal;
    request.credential = 'cookie';
  };
}

/** The principal set by `requireSession`. Calling it on a route without that hook is a programming error. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reads a principal but does not require a session');
  return request.principal;
}
