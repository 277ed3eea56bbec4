import type { Store, UserListQuery, UserPosition } from '../src/core/store.js';
import { percentiles, type Measured } from './load.js';
import { SEEDED_PREFIX_OF_1000, seededPosition } from './seed.js';

/** The page an operator asks for (the admin API's default is 50, its maximum 500). */
export const PAGE_SIZE = 100;
// Each walk reads this many pages in a row, following the cursors, then starts again: every
// one of them is a full page at any size of 1,000 users or more.
const PAGES_PER_WALK = 4;

/** How a walk pages through the seeded users: in which order, from where, with which filter. */
export interface Walk {
  readonly name: string;
  readonly order: UserListQuery['order'];
  /** The first page's position, of `count` users seeded at `nowMs`; null: the first page itself. */
  readonly from: ((count: number, nowMs: number) => UserPosition) | null;
  readonly emailKeyPrefix: string | null;
  /** Only the disabled users (true), only the others (false), or all (null). */
  readonly disabled: boolean | null;
  /** Whether issue 20's target holds for it: p99 at a million users within 1.25× of that at a thousand. */
  readonly isTargeted: boolean;
}

/**
 * The walks the bench times at each size: the first page and pages deep in the table (from
 * its middle, by cursor) in either order, and pages of an email prefix shared by the same
 * 1,000 users at every size, spread over the whole sign-up order. The prefix walk has no ratio
 * target: at a thousand users every user matches, at a million one in a thousand does, and no
 * one index serves both a prefix and the sign-up order, so its pages only have to stay fast.
 * The same 1,000 users are disabled at every size (`disableSeeded`): their pages are read along
 * an index of the disabled users alone, as long at a million users as at a thousand.
 */
export const WALKS: readonly Walk[] = [
  { name: 'first pages, newest first', order: 'newest', from: null, emailKeyPrefix: null, disabled: null, isTargeted: true },
  { name: 'deep pages, newest first', order: 'newest', from: (count, nowMs) => seededPosition(Math.floor(count / 2), count, nowMs), emailKeyPrefix: null, disabled: null, isTargeted: true },
  { name: 'deep pages, oldest first', order: 'oldest', from: (count, nowMs) => seededPosition(Math.floor(count / 2), count, nowMs), emailKeyPrefix: null, disabled: null, isTargeted: true },
  { name: 'disabled users, newest first', order: 'newest', from: null, emailKeyPrefix: null, disabled: true, isTargeted: true },
  { name: 'email prefix, newest first', order: 'newest', from: null, emailKeyPrefix: SEEDED_PREFIX_OF_1000, disabled: null, isTargeted: false },
];

/**
 * Walks the users of a store seeded with `count` users at `nowMs` for `seconds`, through the
 * Store port as the admin API does, a page at a time: `PAGES_PER_WALK` pages following each
 * page's last user as the next cursor, then from the start again. Returns the pages read per
 * second and the latency of each page read; a page that came back short counts as a failure.
 */
export async function walkPages(store: Store, walk: Walk, count: number, nowMs: number, seconds: number): Promise<Measured> {
  const latencies: number[] = [];
  let failures = 0;
  const start = walk.from === null ? null : walk.from(count, nowMs);
  const startedAt = performance.now();
  const endsAt = startedAt + seconds * 1000;
  while (performance.now() < endsAt) {
    let after = start;
    for (let page = 0; page < PAGES_PER_WALK; page += 1) {
      const readAt = performance.now();
      const users = await store.listUsers({ order: walk.order, after, emailKeyPrefix: walk.emailKeyPrefix, disabled: walk.disabled, limit: PAGE_SIZE });
      latencies.push(performance.now() - readAt);
      const last = users.at(-1);
      if (users.length < PAGE_SIZE || last === undefined) {
        failures += 1;
        break;
      }
      after = { createdAt: last.createdAt, id: last.id };
    }
  }
  return { perSecond: latencies.length / ((performance.now() - startedAt) / 1000), ...percentiles(latencies), failures, latencies };
}
