import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { load, type Measured } from './load.js';
import type { Listening } from './processes.js';

/**
 * Issue 25: the pages' log-in page beside the session check, in the same process and the same
 * interleaved slices, with three floors beside them: Sesame's own cheapest answer (`GET /`, the
 * contract's constant), a bare Fastify route, and the log-in page's own answer replayed by
 * node:http with no framework (bench/references/replayed-page.ts), the least any Node server
 * can spend to send it. Each
 * load's cost is the CPU its server process spent per answer (Linux /proc), not the inverse of
 * its rate: the load generator shares these two cores, and an answer it takes longer to read
 * would otherwise count against the server. A log-in page should cost at most half a cookie
 * check's. Its size with its stylesheet, which is all it loads, should stay under 30 KB.
 */

/** Where the log-in page is, on Sesame. */
export const LOG_IN_PAGE_PATH = '/ui/login';

/** What a bench Sesame needs to serve the pages. */
export const PAGES_ENV = { SESAME_UI: 'true' } as const;

/** The names of the loads, as the report reads them. */
export const LOG_IN_PAGE_LOADS = [
  'cookie check beside the log-in page',
  'log-in page',
  'Sesame GET / beside the log-in page',
  'bare route beside the log-in page',
  'log-in page replayed by node:http',
] as const;
type PageLoad = (typeof LOG_IN_PAGE_LOADS)[number];

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** The CPU a process has spent so far, user and system, in microseconds. */
function cpuMicroseconds(pid: number): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}

/** The processes the loads go to: Sesame, the bare Fastify route, and the page replayed (`startReference('replayed-page', [pageUrl])`). */
export interface PageServers {
  readonly sesame: Listening;
  readonly bare: Listening;
  readonly replayed: Listening;
}

/**
 * The loads at 32 connections (the page's visitor is new each time, without a cookie, so
 * each page draws a new form token), each counting its server's CPU per answer; `takeCpu` gives
 * each load's microseconds per answer since the last take.
 */
export function logInPageLoads(
  { sesame, bare, replayed }: PageServers,
  cookieHeaders: Record<string, string>,
): { loads: Record<PageLoad, (seconds: number) => Promise<Measured>>; takeCpu: () => Record<PageLoad, number> } {
  const spent = new Map<PageLoad, { cpu: number; answers: number }>();
  const counted = (name: PageLoad, server: Listening, run: (seconds: number) => Promise<Measured>) => async (seconds: number) => {
    const before = cpuMicroseconds(server.child.pid!);
    const measured = await run(seconds);
    const so = spent.get(name) ?? { cpu: 0, answers: 0 };
    spent.set(name, { cpu: so.cpu + cpuMicroseconds(server.child.pid!) - before, answers: so.answers + measured.latencies.length });
    return measured;
  };
  return {
    loads: {
      'cookie check beside the log-in page': counted('cookie check beside the log-in page', sesame, (seconds) =>
        load({ url: `${sesame.url}/profile`, connections: 32, seconds, headers: cookieHeaders }),
      ),
      'log-in page': counted('log-in page', sesame, (seconds) => load({ url: `${sesame.url}${LOG_IN_PAGE_PATH}`, connections: 32, seconds })),
      'Sesame GET / beside the log-in page': counted('Sesame GET / beside the log-in page', sesame, (seconds) =>
        load({ url: `${sesame.url}/`, connections: 32, seconds }),
      ),
      'bare route beside the log-in page': counted('bare route beside the log-in page', bare, (seconds) => load({ url: `${bare.url}/`, connections: 32, seconds })),
      'log-in page replayed by node:http': counted('log-in page replayed by node:http', replayed, (seconds) =>
        load({ url: `${replayed.url}/`, connections: 32, seconds }),
      ),
    },
    takeCpu: () => {
      const perAnswer = Object.fromEntries(LOG_IN_PAGE_LOADS.map((name) => {
        const { cpu, answers } = spent.get(name) ?? { cpu: 0, answers: 0 };
        return [name, cpu / answers];
      })) as Record<PageLoad, number>;
      spent.clear();
      return perAnswer;
    },
  };
}

/** The bytes a browser fetches to show the log-in page: the page, then the one stylesheet it links (nothing else). */
export async function logInPageBytes(url: string): Promise<{ page: number; stylesheet: number }> {
  const page = await fetch(`${url}${LOG_IN_PAGE_PATH}`);
  const html = await page.text();
  const links = [...html.matchAll(/(?:href|src)="(\/[^"]*\.(?:css|js|png|svg|woff2?))"/g)].map((match) => match[1]!);
  if (links.length !== 1) throw new Error(`the log-in page loads ${links.length} files besides itself: ${links.join(', ')}`);
  const stylesheet = await (await fetch(`${url}${links[0]}`)).arrayBuffer();
  return { page: Buffer.byteLength(html), stylesheet: stylesheet.byteLength };
}
