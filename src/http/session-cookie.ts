import { serialize as serializeCookie, type SerializeOptions } from 'cookie';
import type { ClientView } from './client-address.js';

/** The session cookie's name, and whether it is always Secure or only when the client came over https. */
export interface SessionCookie {
  readonly name: string;
  readonly secure: 'auto' | 'always';
}

/**
 * The session cookie's attributes, for the API and the pages alike. A browser-session cookie,
 * as the contract's Flask app set it: it ends when the browser does, and the server-side idle
 * timeout and absolute lifetime bound it in any case. Path=/ and no Domain, as a __Host- name
 * requires.
 */
export function sessionCookieOptions(cookie: SessionCookie, from: ClientView): SerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: cookie.secure === 'always' || from.isHttps };
}

/** The Set-Cookie value that gives the browser `sessionToken`. */
export function sessionCookieHeader(cookie: SessionCookie, from: ClientView, sessionToken: string): string {
  return serializeCookie(cookie.name, sessionToken, sessionCookieOptions(cookie, from));
}

/** The Set-Cookie value that clears the session cookie (Max-Age=0). */
export function clearedSessionCookieHeader(cookie: SessionCookie, from: ClientView): string {
  return serializeCookie(cookie.name, '', { ...sessionCookieOptions(cookie, from), expires: new Date(0), maxAge: 0 });
}
