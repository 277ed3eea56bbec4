import type { FastifyRequest } from 'fastify';
import { readBearerToken } from './authenticate.js';
import { HttpError } from './http-error.js';

/**
 * An `onRequest` hook refusing what a browser sends on behalf of another site (CSRF, and login
 * CSRF on `POST /sessions`), as OWASP's CSRF cheat sheet and Go's `CrossOriginProtection` do:
 *
 * - an `Origin` listed in `trustedOrigins` passes (a front end on another origin, by choice);
 * - else `Sec-Fetch-Site` decides when the browser sends it: only `same-origin` and `none` (the
 *   user's own navigation) pass; `same-site` is refused too, since a sibling subdomain may not
 *   be ours;
 * - else, from older browsers, an `Origin` must name the host the request was sent to;
 * - a request with neither header is not from a browser (`requests`, `curl`, a service) and
 *   carries no ambient credential a page could abuse: it passes.
 *
 * With `isBearerExempt`, a request with a Bearer token passes: the token, not the cookie,
 * authorises it, and a page can only add one after a CORS preflight. Other schemes do not:
 * a browser attaches cached Basic or Negotiate credentials to cross-site requests itself.
 */
export function refuseCrossSite(trustedOrigins: ReadonlySet<string>, { isBearerExempt }: { readonly isBearerExempt: boolean }) {
  return async (request: FastifyRequest): Promise<void> => {
    if (isBearerExempt && readBearerToken(request) !== null) return;
    const origin = request.headers.origin;
    if (origin !== undefined && trustedOrigins.has(origin)) return;
    const site = request.headers['sec-fetch-site'];
    const allowed =
      site !== undefined
        ? site === 'same-origin' || site === 'none'
        : origin === undefined || isSameHost(origin, request.headers.host);
    if (!allowed) throw new HttpError('cross_site', 'cross-site request refused');
  };
}

function isSameHost(origin: string, host: string | undefined): boolean {
  return host !== undefined && URL.canParse(origin) && new URL(origin).host === host.toLowerCase();
}
