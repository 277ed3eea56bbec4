/** Where a log-in goes when it is not told, or told somewhere it may not go. */
export const ACCOUNT_PAGE = '/ui/account';

// A path of the pages' own: no scheme, no authority (`//host`), no backslash (browsers read
// `/\host` as `//host`), no control character or space that a browser would strip first.
const OWN_PAGE = /^\/ui\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;

/**
 * Where a log-in may send the browser (no open redirect, ASVS 5.1.5-style allow-list): a path
 * under /ui/ of Sesame itself, or an absolute http(s) URL whose origin is one of
 * `trustedOrigins` (SESAME_TRUSTED_ORIGINS); null for anything else.
 */
export function allowedReturnTo(value: string, trustedOrigins: ReadonlySet<string>): string | null {
  if (value.length === 0 || value.length > 2048) return null;
  if (value.startsWith('/')) {
    if (!OWN_PAGE.test(value) || value.includes('//')) return null;
    // Resolved against a placeholder origin, a path that climbs out of /ui/ (`/ui/../x`) shows itself.
    const resolved = new URL(value, 'http://sesame.invalid');
    return resolved.origin === 'http://sesame.invalid' && resolved.pathname.startsWith('/ui/') ? resolved.pathname + resolved.search : null;
  }
  if (!URL.canParse(value) || /[\s\\]/.test(value)) return null;
  const url = new URL(value);
  if (!/^https?:$/.test(url.protocol) || url.username !== '' || url.password !== '') return null;
  return trustedOrigins.has(url.origin) ? url.href : null;
}
