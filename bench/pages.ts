import { load, type Measured } from './load.js';

/**
 * Issue 25: the pages' log-in page beside the session check, in the same process and the same
 * interleaved slices. Each load saturates the one Sesame process, so the inverse ratio of the
 * rates is the ratio of the CPU each request costs it: a log-in page should cost at most half
 * a cookie check's. Its size with its stylesheet, which is all it loads, should stay under 30 KB.
 */

/** What a bench Sesame needs to serve the pages. */
export const PAGES_ENV = { SESAME_UI: 'true' } as const;

/** The names of the two loads, as the report reads them. */
export const LOG_IN_PAGE_LOADS = ['cookie check beside the log-in page', 'log-in page'] as const;

/** The two loads at 32 connections: a new visitor each time (no cookie), so each page draws a new form token. */
export function logInPageLoads(url: string, cookieHeaders: Record<string, string>): Record<(typeof LOG_IN_PAGE_LOADS)[number], (seconds: number) => Promise<Measured>> {
  return {
    'cookie check beside the log-in page': (seconds) => load({ url: `${url}/profile`, connections: 32, seconds, headers: cookieHeaders }),
    'log-in page': (seconds) => load({ url: `${url}/ui/login`, connections: 32, seconds }),
  };
}

/** The bytes a browser fetches to show the log-in page: the page, then the one stylesheet it links (nothing else). */
export async function logInPageBytes(url: string): Promise<{ page: number; stylesheet: number }> {
  const page = await fetch(`${url}/ui/login`);
  const html = await page.text();
  const links = [...html.matchAll(/(?:href|src)="(\/[^"]*\.(?:css|js|png|svg|woff2?))"/g)].map((match) => match[1]!);
  if (links.length !== 1) throw new Error(`the log-in page loads ${links.length} files besides itself: ${links.join(', ')}`);
  const stylesheet = await (await fetch(`${url}${links[0]}`)).arrayBuffer();
  return { page: Buffer.byteLength(html), stylesheet: stylesheet.byteLength };
}
