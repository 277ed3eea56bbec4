import { checkFetched, documentFor } from './openapi-conformance.js';

/**
 * Just enough of Python's `requests` to run the contract's canonical client unchanged in
 * spirit: form-encoded `data`, per-request `cookies`, `r.cookies` from the answer's
 * Set-Cookie, and redirects followed the way `requests` follows them (a 301/302/303 is
 * retried as GET, which `fetch` would not do for DELETE). Every answer on the way is checked
 * against the OpenAPI document the server serves.
 */
export interface RequestsResponse {
  readonly statusCode: number;
  readonly url: string;
  readonly headers: Headers;
  /** Cookies the final answer set, by name (a cleared cookie is absent). */
  readonly cookies: ReadonlyMap<string, string>;
  /** Status codes of the redirects followed on the way. */
  readonly history: readonly number[];
  json(): unknown;
}

interface RequestOptions {
  readonly data?: Record<string, string>;
  readonly cookies?: Record<string, string>;
}

const MAX_REDIRECTS = 30;

async function request(method: string, url: string, options: RequestOptions = {}): Promise<RequestsResponse> {
  const history: number[] = [];
  let current = url;
  let currentMethod = method;
  let body: string | undefined = options.data ? new URLSearchParams(options.data).toString() : undefined;
  for (;;) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (options.cookies) {
      headers.cookie = Object.entries(options.cookies)
        .map(([name, value]) => `${name}=${value}`)
        .join('; ');
    }
    const document = documentFor(current);
    const response = await fetch(current, { method: currentMethod, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    await checkFetched(document, current, currentMethod, response, text);
    const location = response.headers.get('location');
    if ([301, 302, 303, 307, 308].includes(response.status) && location !== null) {
      if (history.length >= MAX_REDIRECTS) throw new Error('too many redirects');
      history.push(response.status);
      current = new URL(location, current).toString();
      if (response.status !== 307 && response.status !== 308 && currentMethod !== 'HEAD') {
        currentMethod = 'GET';
        body = undefined;
      }
      continue;
    }
    return {
      statusCode: response.status,
      url: current,
      headers: response.headers,
      cookies: parseSetCookies(response.headers.getSetCookie()),
      history,
      json: () => JSON.parse(text) as unknown,
    };
  }
}

function parseSetCookies(lines: string[]): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const line of lines) {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator);
    const cleared = attributes.some((attribute) => /^max-age=0$/i.test(attribute));
    if (cleared) cookies.delete(name);
    else cookies.set(name, pair.slice(separator + 1));
  }
  return cookies;
}

export const requests = {
  get: (url: string, options?: RequestOptions) => request('GET', url, options),
  post: (url: string, options?: RequestOptions) => request('POST', url, options),
  put: (url: string, options?: RequestOptions) => request('PUT', url, options),
  delete: (url: string, options?: RequestOptions) => request('DELETE', url, options),
};
