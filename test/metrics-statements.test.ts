import { expect, it } from 'vitest';
import { TIMED_STATEMENTS } from '../src/store/statement-timings.js';
import { ALL_ENGINES, describeEngines } from './support/databases.js';
import { sessionCookieOf } from './support/harness.js';
import { METRICS_TOKEN, startMetricsRig, type Placement } from './support/metrics-rig.js';
import { fullScrape, type FullScrape } from './support/scrape.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const COUNT = 'sesame_db_statement_duration_seconds_count';

/** How many times each timed statement ran between two scrapes, those that did not left out. */
function ran(before: FullScrape, after: FullScrape): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const statement of TIMED_STATEMENTS) {
    const delta = after.value(COUNT, { statement }) - before.value(COUNT, { statement });
    if (delta !== 0) moved[statement] = delta;
  }
  return moved;
}

/** A rig on `placement` with one account, logged in by cookie, its first check made (which fills any cache). */
async function loggedIn(placement: Placement) {
  const { app, auth } = await startMetricsRig({}, false, placement);
  await auth.register('a@x.io', 'right-password', { address: '192.0.2.1' });
  const beforeLogin = await fullScrape(app, METRICS_TOKEN);
  const login = await app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=right-password' });
  expect(login.statusCode).toBe(200);
  const afterLogin = await fullScrape(app, METRICS_TOKEN);
  const check = () => app.inject({ method: 'GET', url: '/profile', headers: { cookie: `session_id=${sessionCookieOf(login)!}` } });
  expect((await check()).statusCode).toBe(200);
  return { app, check, login: ran(beforeLogin, afterLogin), firstCheck: ran(afterLogin, await fullScrape(app, METRICS_TOKEN)) };
}

describeEngines(ALL_ENGINES, "the store's statement times on %s", (engine) => {
  it('count a log-in as one user read and one session write, a cookie check as one session read unless an in-process copy answers', async () => {
    const { app, check, login, firstCheck } = await loggedIn({ engine });
    expect(login).toEqual({ user_by_email: 1, session_insert: 1 });
    expect(firstCheck).toEqual({ session_by_token_hash: 1 });
    const before = await fullScrape(app, METRICS_TOKEN);
    for (let index = 0; index < 3; index += 1) expect((await check()).statusCode).toBe(200);
    const after = await fullScrape(app, METRICS_TOKEN);
    // SQLite serves a session it has read from its exact in-process copy: no statement runs.
    expect(ran(before, after)).toEqual(engine === 'sqlite' ? {} : { session_by_token_hash: 3 });
    // A histogram as Prometheus reads one: the last bucket holds every run, and the times add up.
    const statement = { statement: 'user_by_email' };
    expect(after.value('sesame_db_statement_duration_seconds_bucket', { ...statement, le: '+Inf' })).toBe(after.value(COUNT, statement));
    expect(after.value('sesame_db_statement_duration_seconds_sum', statement)).toBeGreaterThan(0);
  });

  it('show only the series this configuration has', async () => {
    const { app } = await startMetricsRig({}, false, { engine });
    const scraped = await fullScrape(app, METRICS_TOKEN);
    const names = new Set(scraped.families.map(([name]) => name));
    // Without Redis: no Redis look-ups and no Redis errors, rather than zeros that read as health.
    expect(scraped.samples.filter((sample) => sample.labels.cache === 'redis' || sample.labels.dependency === 'cache')).toEqual([]);
    expect(scraped.value('sesame_dependency_errors_total', { dependency: 'database' })).toBe(0);
    expect(scraped.samples.some((sample) => sample.name === 'sesame_dependency_errors_total' && sample.labels.dependency === 'database')).toBe(true);
    // SQLite has no pool; it alone has the in-process session copy.
    expect(names.has('sesame_db_pool_connections_in_use')).toBe(engine !== 'sqlite');
    expect(names.has('sesame_session_cache_lookups')).toBe(engine === 'sqlite');
    // Nothing delivers the outbox here: no delivery series at all.
    expect(scraped.samples.filter((sample) => sample.name.startsWith('sesame_outbox_deliveries'))).toEqual([]);
  });
});

describeEngines(ALL_ENGINES, "the store's statement times on %s with Redis", (engine) => {
  it('count one session read for the check that fills Redis, and none for the checks Redis answers', async () => {
    const { app, check, login, firstCheck } = await loggedIn({ engine, withRedis: true });
    expect(login).toEqual({ user_by_email: 1, session_insert: 1 });
    expect(firstCheck).toEqual({ session_by_token_hash: 1 });
    const before = await fullScrape(app, METRICS_TOKEN);
    for (let index = 0; index < 3; index += 1) expect((await check()).statusCode).toBe(200);
    const after = await fullScrape(app, METRICS_TOKEN);
    expect(ran(before, after)).toEqual({});
    expect(after.value('sesame_session_cache_lookups_total', { cache: 'redis', result: 'hit' }) - before.value('sesame_session_cache_lookups_total', { cache: 'redis', result: 'hit' })).toBe(3);
    expect(after.value('sesame_dependency_errors_total', { dependency: 'cache' })).toBe(0);
    expect(after.has('sesame_dependency_errors_total')).toBe(true);
  });
}, ['redis']);
