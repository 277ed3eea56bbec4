import type { FastifyReply } from 'fastify';

/**
 * What every answer carries, whoever writes it: a route, the error handler, the framework, or
 * the raw answer to a request HTTP could not parse. Every answer is about a user or a session,
 * so no cache may keep one (ASVS 14.3.2); `nosniff` (ASVS 3.4.4); no referrer leaves a page
 * that may hold a reset token (FORGOT-CS).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

// A year (ASVS 3.4.1). Sent only when a trusted proxy says the client used https: over plain
// http a browser ignores it, and an answer written before any header was read cannot know.
const HSTS = 'max-age=31536000; includeSubDomains';

/** The security headers on a reply, HSTS among them when the client came over https. */
export function setSecurityHeaders(reply: FastifyReply, isHttps: boolean): void {
  void reply.headers(SECURITY_HEADERS);
  if (isHttps) void reply.header('strict-transport-security', HSTS);
}

/** The security headers as HTTP/1.1 header lines, each ending in CRLF, for an answer written on the socket. */
export const SECURITY_HEADER_LINES = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');
