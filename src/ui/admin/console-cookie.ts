import { serialize as serializeCookie, type SerializeOptions } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie } from '../../http/authenticate.js';
import type { ClientView } from '../../http/client-address.js';
import type { SessionCookie } from '../../http/session-cookie.js';

/** Where the console lives; its cookie goes nowhere else unless a `__Host-` name needs Path=/. */
export const CONSOLE_PREFIX = '/ui/admin';

/**
 * The console session's cookie (docs/admin-console.md): apart from the user's `session_id`, so
 * signing in to the console never touches the user's own session, HttpOnly (no script reads it),
 * SameSite=Strict (no other site's link or form brings it along) and a browser-session cookie
 * (the server's 15-minute idle and 1-hour limits bound it anyway). When the session cookie is
 * always Secure, the name is `__Host-`: no sibling subdomain can plant one (cookie tossing),
 * at the price of Path=/; otherwise Path=/ui/admin keeps it off every other request.
 */
export function createConsoleCookie({ secure }: Pick<SessionCookie, 'secure'>) {
  const isHostCookie = secure === 'always';
  const name = isHostCookie ? '__Host-sesame_console' : 'sesame_console';
  const options = (from: ClientView): SerializeOptions => ({
    path: isHostCookie ? '/' : CONSOLE_PREFIX,
    httpOnly: true,
    sameSite: 'strict',
    secure: isHostCookie || from.isHttps,
  });
  return {
    name,
    read: (request: FastifyRequest): string | null => readCookie(request, name),
    set(reply: FastifyReply, from: ClientView, token: string): void {
      void reply.header('set-cookie', serializeCookie(name, token, options(from)));
    },
    clear(reply: FastifyReply, from: ClientView): void {
      void reply.header('set-cookie', serializeCookie(name, '', { ...options(from), expires: new Date(0), maxAge: 0 }));
    },
  };
}

export type ConsoleCookie = ReturnType<typeof createConsoleCookie>;
