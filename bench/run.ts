import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as pause } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseDatabaseUrl } from '../src/config/parse-database-url.js';
import { openStore } from '../src/store/open-store.js';
import { emailFigures, emailRuns } from './email.js';
import { importFigures } from './import.js';
import { legacyLoginFigures } from './legacy-login.js';
import { FAMILY_APIS, FAMILY_LOGINS, familyLoginLoads, registerFamilyAccounts } from './families.js';
import { followingChains, interleaved, load, type Measured } from './load.js';
import { WALKS, walkPages } from './pagination.js';
import { LOG_IN_PAGE_LOADS, LOG_IN_PAGE_PATH, logInPageBytes, logInPageLoads, PAGES_ENV } from './pages.js';
import { PROJECT_ROOT, runCli, runReference, startReference, startSesame, type Listening } from './processes.js';
import { familyFigures, formatTable, logInPageFigures, metricsFigure, summarize, type Figure } from './report.js';
import { disableSeeded, seed } from './seed.js';

/**
 * `npm run bench`: Sesame against the limits of this machine, each figure measured beside its
 * limit in the same run, in interleaved rounds, and reported as a ratio (median, min–max).
 * Only 127.0.0.1 is loaded, every load is bounded in time, and the run stops by itself.
 */
const { values } = parseArgs({
  options: {
    database: { type: 'string' },
    redis: { type: 'string' },
    long: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    results: { type: 'string' },
    // Another checkout, built: its cookie check is measured beside this one's, in the same run.
    baseline: { type: 'string' },
    // `--only email`, `--only import`, `--only metrics`, `--only families` or `--only pages`: just
    // the email's figures (issue 22), the import's (issue 21), the cost of counting (issue 23), the
    // family log-ins' (issue 24) or the log-in page's (issue 25).
    only: { type: 'string' },
  },
});
const mode = values.smoke ? 'smoke' : values.long ? 'long' : 'default';
if (values.only !== undefined && !['email', 'import', 'metrics', 'families', 'pages'].includes(values.only)) {
  throw new Error(`--only takes "email", "import", "metrics", "families" or "pages", not "${values.only}"`);
}
const { rounds, seconds, scaleLarge } = {
  smoke: { rounds: 1, seconds: 0.5, scaleLarge: 10_000 },
  default: { rounds: 3, seconds: 2, scaleLarge: 1_000_000 },
  long: { rounds: 5, seconds: 5, scaleLarge: 1_000_000 },
}[mode];
const SCALE_SMALL = 1_000;
// Throughputs beside their limits alternate in slices this long.
const SLICE_SECONDS = 0.5;
// How long each load runs once, unmeasured, before the first round.
const WARM_UP_SECONDS = 0.3;
// The raw hash rate, the minimal log-in and the scale checks need less time than a throughput
// beside its limit: a second is some 180 hashes, or at 64 connections some 20,000 checks.
const HASH_SECONDS = 1;
const SCALE_SECONDS = 1;
// A page read takes well under a millisecond: a second of walking at each size is thousands of pages.
const PAGES_SECONDS = 1;
const LEGACY_LOGIN_SECONDS = 5;
// How long after a storm its resident memory is read: the hashes in flight when the load
// stopped have finished well before.
const STORM_SETTLE_MS = 1000;
// How long after a log-in load the next load starts: by then the hashes it left queued are done.
const LOGIN_SETTLE_MS = 250;
const scratch = mkdtempSync(join(tmpdir(), 'sesame-bench-'));
const database = values.database ?? `sqlite:${join(scratch, 'bench.db')}`;
const engine = database.startsWith('sqlite:') ? 'sqlite' : database.startsWith('postgres') ? 'postgres' : 'mysql';
const sesameEnv: Record<string, string> = {
  // Every registration of the registration load comes from this one address: the load measures the hashing, not the limit.
  SESAME_LIMIT_CLIENT_REGISTRATIONS: '1000000',
  SESAME_APIS: FAMILY_APIS,
  ...PAGES_ENV,
  ...(values.redis === undefined ? {} : { SESAME_REDIS_URL: values.redis }),
};

// Metrics on: /metrics on the public port behind this token (not scraped during the loads, as Prometheus scrapes every 15 s or so).
const METRICS_TOKEN = 'bench-metrics-token-bench-metrics-token-0123456789';

const PASSWORD = 'bench password, long enough';
const ACCOUNTS = 64;
const form = { 'content-type': 'application/x-www-form-urlencoded' };
// Each line says when in the run it was written, so that a run near its 3 minutes shows where they went.
const runStarted = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - runStarted) / 1000).toFixed(1)} s] ${line}\n`);

async function post(url: string, fields: Record<string, string>): Promise<{ status: number; json: Record<string, string>; cookie: string | null }> {
  const response = await fetch(url, { method: 'POST', headers: form, body: new URLSearchParams(fields) });
  const cookie = /session_id=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? null;
  return { status: response.status, json: (await response.json()) as Record<string, string>, cookie };
}

/** Registers the accounts the log-in loads rotate over, two at a time. */
async function registerAccounts(url: string): Promise<void> {
  for (let index = 0; index < ACCOUNTS; index += 2) {
    await Promise.all([0, 1].map((offset) => post(`${url}/users`, { email: `account${index + offset}@bench.example`, password: PASSWORD })));
  }
}

/** Registers the accounts on Sesame, and returns a cookie and an access token to present. */
async function prepare(url: string) {
  await registerAccounts(url);
  const login = await post(`${url}/sessions`, { email: 'account0@bench.example', password: PASSWORD });
  const tokens = await post(`${url}/token`, { grant_type: 'password', username: 'account1@bench.example', password: PASSWORD });
  return { cookie: login.cookie!, accessToken: tokens.json.access_token! };
}

/**
 * Fresh refresh tokens, one session each. Every round starts new chains: the last answers of a
 * round are cut off, so the chain would go on from a token the server has already rotated,
 * which after the grace window is a reuse and ends the session.
 */
async function freshChains(url: string, count: number): Promise<string[]> {
  const chains: string[] = [];
  for (let index = 0; index < count; index += 1) {
    chains.push((await post(`${url}/token`, { grant_type: 'password', username: `account${2 + (index % (ACCOUNTS - 2))}@bench.example`, password: PASSWORD })).json.refresh_token!);
  }
  return chains;
}

/**
 * Log-in bodies that rotate over the accounts, so that no account sees concurrent checks (the
 * attempt limits would hold back more than 5 at once on one account). Accounts 0 and 1 hold the
 * cookie and the tokens the checks present; a cookie log-in to them would end that session.
 */
function rotatingLogins(fields: (email: string) => Record<string, string>) {
  let next = 0;
  return (request: Parameters<NonNullable<Parameters<typeof load>[0]['setupRequest']>>[0]) => {
    next = (next + 1) % (ACCOUNTS - 2);
    return { ...request, body: new URLSearchParams(fields(`account${next + 2}@bench.example`)).toString() };
  };
}

/** `items` rotated by `round`, so that between rounds none always goes first, nor always follows the same one. */
const rotated = <T>(items: readonly T[], round: number): T[] => items.map((_, index) => items[(index + round) % items.length]!);

const series = new Map<string, number[]>();
const record = (name: string, value: number) => series.set(name, [...(series.get(name) ?? []), value]);
/** Each page load's server CPU per answer in the round just measured. */
const recordPageCpu = (perAnswer: Readonly<Record<string, number>>) => {
  for (const [name, microseconds] of Object.entries(perAnswer)) record(`${name} server CPU µs`, microseconds);
};
const measured = (name: string, result: Measured) => {
  if (result.failures > 0) log(`  ${name}: ${result.failures} answers were not 2xx or failed`);
  record(`${name}/s`, result.perSecond);
  record(`${name} p50`, result.p50);
  record(`${name} p99`, result.p99);
  return result;
};

async function main(): Promise<void> {
  const started = Date.now();
  log(`bench (${mode}): ${rounds} round(s) of ${seconds} s per measurement on ${engine}${values.redis === undefined ? '' : ' with Redis'}`);
  if (engine === 'sqlite') await runCli(['migrate', '--database', database]);
  const sesame = await startSesame(database, sesameEnv);
  const idleRss = sesame.rssMb();
  const setup = await prepare(sesame.url);
  await registerFamilyAccounts(sesame.url, PASSWORD);
  const bare = await startReference('bare');
  const replayed = await startReference('replayed-page', [`${sesame.url}${LOG_IN_PAGE_PATH}`]);
  const minimal = await startReference('minimal-profile', [database]);
  const jwt = await startReference('jwt-verify', [sesame.url]);
  // One pool thread per core, as Sesame runs and as the raw hash rate is measured.
  const hashThreads = { UV_THREADPOOL_SIZE: String(cpus().length) };
  const minimalLogin = await startReference('minimal-login', [engine === 'sqlite' ? `sqlite:${join(scratch, 'minimal-login.db')}` : database], hashThreads);
  await registerAccounts(minimalLogin.url);
  // Both builds fresh, each on a new database prepared alike: the main process's history (its
  // registrations, its heap) would weigh on one side only.
  const [current, baseline] = values.baseline === undefined ? [null, null] : [await startBuild(PROJECT_ROOT, 'current'), await startBuild(values.baseline, 'baseline')];
  // The cost of counting: the same cookie check on two fresh processes of the same build, on the
  // same database and session, one with the metrics off and one with them on.
  const metricsOff = await startSesame(database, sesameEnv);
  const metricsOn = await startSesame(database, { ...sesameEnv, SESAME_METRICS_TOKEN: METRICS_TOKEN });
  const cookieHeaders = { cookie: `session_id=${setup.cookie}` };
  const bearerHeaders = { authorization: `Bearer ${setup.accessToken}` };
  let registered = 0;

  // Log-ins at 16 connections, rotating over the accounts.
  const logins = (url: string, fields: (email: string) => Record<string, string>) => (seconds: number) =>
    load({ url, connections: 16, seconds, method: 'POST', headers: form, setupRequest: rotatingLogins(fields) });
  const cookieLogins = logins(`${sesame.url}/sessions`, (email) => ({ email, password: PASSWORD }));
  // Registrations at 16 connections, each of a new email.
  const registrations = (url: string) => (seconds: number) =>
    load({
      url,
      connections: 16,
      seconds,
      method: 'POST',
      headers: form,
      setupRequest: (request) => ({ ...request, body: `email=new${(registered += 1)}%40bench.example&password=${encodeURIComponent(PASSWORD)}` }),
    });
  type Load = (seconds: number) => Promise<Measured>;
  const pageLoads = logInPageLoads({ sesame, bare, replayed }, cookieHeaders);
  const loads: Record<string, Load> = {
    'bare route': (seconds) => load({ url: `${bare.url}/`, connections: 32, seconds }),
    'cookie check': (seconds) => load({ url: `${sesame.url}/profile`, connections: 32, seconds, headers: cookieHeaders }),
    'cookie check beside the baseline': (seconds) =>
      load({ url: `${current!.sesame.url}/profile`, connections: 32, seconds, headers: { cookie: `session_id=${current!.cookie}` } }),
    'baseline cookie check': (seconds) =>
      load({ url: `${baseline!.sesame.url}/profile`, connections: 32, seconds, headers: { cookie: `session_id=${baseline!.cookie}` } }),
    'minimal profile': (seconds) => load({ url: `${minimal.url}/profile`, connections: 32, seconds, headers: cookieHeaders }),
    'bearer check': (seconds) => load({ url: `${sesame.url}/profile`, connections: 32, seconds, headers: bearerHeaders }),
    'check, metrics off': (seconds) => load({ url: `${metricsOff.url}/profile`, connections: 32, seconds, headers: cookieHeaders }),
    'check, metrics on': (seconds) => load({ url: `${metricsOn.url}/profile`, connections: 32, seconds, headers: cookieHeaders }),
    'jose verify': (seconds) => load({ url: `${jwt.url}/profile`, connections: 32, seconds, headers: bearerHeaders }),
    introspect: (seconds) =>
      load({ url: `${sesame.url}/introspect`, connections: 32, seconds, method: 'POST', headers: form, body: `token=${setup.accessToken}` }),
    'login /sessions': cookieLogins,
    'minimal login': logins(`${minimalLogin.url}/sessions`, (email) => ({ email, password: PASSWORD })),
    registration: registrations(`${sesame.url}/users`),
    'minimal registration': registrations(`${minimalLogin.url}/users`),
    ...familyLoginLoads(sesame.url, PASSWORD),
    ...pageLoads.loads,
  };
  // A process's first load runs cold (the JIT has not compiled its hot path yet): none is measured.
  log('warm-up');
  for (const [name, warmUp] of Object.entries(loads)) if (baseline !== null || !name.includes('baseline')) await warmUp(Math.min(seconds, WARM_UP_SECONDS));
  pageLoads.takeCpu();

  for (let round = 0; round < rounds; round += 1) {
    log(`round ${round + 1}/${rounds}`);
    // Each figure beside its limit, the order rotating between rounds so that none always goes
    // first, nor always follows the same step.
    const inTurn = async (...steps: Array<() => Promise<unknown>>) => {
      for (const step of rotated(steps, round)) await step();
    };
    // Throughputs beside their limits in interleaved slices (A B C C B A …), so that the
    // machine's speed drifting within the round weighs on all alike; the first to go rotates.
    const inSlices = async (...names: string[]) => {
      const order = rotated(names, round);
      const results = await interleaved(order.map((name) => loads[name]!), seconds, SLICE_SECONDS);
      order.forEach((name, index) => measured(name, results[index]!));
    };
    const check = (connections = 32) => load({ url: `${sesame.url}/profile`, connections, seconds, headers: cookieHeaders });
    // The cookie check beside both its limits (the bare route on SQLite, the same query on
    // PostgreSQL), and the Bearer check beside the cookie check, its own.
    await inSlices('bare route', 'cookie check', 'minimal profile', 'bearer check');
    await inSlices('jose verify', 'introspect');
    if (baseline !== null) await inSlices('cookie check beside the baseline', 'baseline cookie check');
    await inSlices('check, metrics off', 'check, metrics on');
    await inSlices(...LOG_IN_PAGE_LOADS);
    recordPageCpu(pageLoads.takeCpu());
    // With one thread per core, as Sesame runs: here libuv's default 4 threads hashed slower
    // (146-149/s against 183/s at 2 in flight), so the limit is the higher rate.
    for (const inFlight of [2, 4, 8]) {
      const { perSecond } = await runReference<{ perSecond: number }>('argon2-rate', [String(inFlight), String(Math.min(seconds, HASH_SECONDS))], hashThreads);
      record(`argon2id x${inFlight}/s`, perSecond);
    }
    // Not in slices: a log-in load that stops leaves its queued hashes running, some tens of
    // milliseconds of both cores, which would fall on the next slice. Each runs whole, then settles.
    const whole = (name: string, loadSeconds: number) => async () => {
      measured(name, await loads[name]!(loadSeconds));
      await pause(LOGIN_SETTLE_MS);
    };
    await inTurn(whole('login /sessions', seconds), whole('minimal login', Math.min(seconds, HASH_SECONDS)));
    measured('login /token', await logins(`${sesame.url}/token`, (username) => ({ grant_type: 'password', username, password: PASSWORD }))(seconds));
    await inTurn(whole('registration', seconds), whole('minimal registration', Math.min(seconds, HASH_SECONDS)));
    await familyRound(loads, round);
    const chains = await freshChains(sesame.url, 16);
    measured(
      'refresh',
      await load({
        url: `${sesame.url}/token`,
        connections: chains.length,
        seconds,
        method: 'POST',
        headers: form,
        ...followingChains(
          chains,
          (token) => `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`,
          (body) => (JSON.parse(body) as { refresh_token: string }).refresh_token,
        ),
      }),
    );
    await inTurn(
      async () => measured('checks alone', await check(64)),
      async () => {
        const [checks] = await Promise.all([check(64), cookieLogins(seconds)]);
        measured('checks in a login storm', checks);
        // autocannon stops at its deadline without waiting for answers: the log-ins still being
        // hashed then hold 19 MiB each until they finish, a moment later.
        await pause(STORM_SETTLE_MS);
        record('rss after storm', sesame.rssMb());
      },
      // The storm's limit: the same one query's minimal route, checked while Sesame takes the
      // same log-ins, so that the database server, the hashing and the load generator share
      // the cores as they do in Sesame's storm.
      async () => {
        const [checks] = await Promise.all([load({ url: `${minimal.url}/profile`, connections: 64, seconds, headers: cookieHeaders }), cookieLogins(seconds)]);
        measured('minimal profile in a login storm', checks);
        await pause(LOGIN_SETTLE_MS);
      },
    );
  }
  const pageBytes = await logInPageBytes(sesame.url);
  record('log-in page bytes', pageBytes.page);
  record('log-in stylesheet bytes', pageBytes.stylesheet);
  await checkScrape(metricsOn.url);
  await Promise.all([bare.stop(), replayed.stop(), minimal.stop(), jwt.stop(), minimalLogin.stop(), sesame.stop(), metricsOff.stop(), metricsOn.stop(), current?.sesame.stop(), baseline?.sesame.stop()]);
  if (baseline !== null) await dropDatabases(['current', 'baseline']);

  // Start to first 200 on /ready, on the database the run has filled.
  log('start to ready');
  for (let index = 0; index < 3; index += 1) {
    const spawnedAt = performance.now();
    const restarted = await startSesame(database, sesameEnv);
    while ((await fetch(`${restarted.url}/ready`).catch(() => null))?.status !== 200) await pause(5);
    record('ready ms', performance.now() - spawnedAt);
    await restarted.stop();
  }

  // Scale: the same session check with a thousand and with a million users and sessions.
  log('scale');
  const scale = await scaleRuns();
  await emailPart();
  log('import');
  const figures = [
    ...summarize(series, { idleRss, scale, engine, walks: WALKS, baseline: baseline?.commit ?? null }),
    ...emailFigures(series, drainCount),
    ...(await runImportFigures()),
  ];
  const report = formatTable(figures);
  process.stdout.write(`${report}\n`);
  saveResults(figures, Date.now() - started);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

// 1,000 queued messages, as issue 22 asks; a smoke run only checks the drain works.
const drainCount = mode === 'smoke' ? 100 : 1000;

/** Email delivery's cost on POST /reset_password, and the outbox drained by SMTP (bench/email.ts). */
function emailPart(): Promise<void> {
  return emailRuns({ scratch, rounds, seconds, sliceSeconds: SLICE_SECONDS, drainCount, log, record, measured });
}

/**
 * Sesame as built in the checkout at `root`, on a new database of its own (another build's
 * migrations may be older than this one's), with a session to present: one side of the
 * same cookie check, before and after a change.
 */
async function startBuild(root: string, name: string): Promise<{ sesame: Listening; cookie: string; commit: string }> {
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const path = await emptyDatabase(name, name);
  await runCli(['migrate', '--database', path], root);
  const sesame = await startSesame(path, sesameEnv, root);
  const { cookie } = await prepare(sesame.url);
  log(`${name}: ${commit} from ${root}`);
  return { sesame, cookie, commit };
}

/** Makes sure the metrics-on process did count: its /metrics answers, with the checks it served. */
async function checkScrape(url: string): Promise<void> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await response.text();
  const checks = /^sesame_http_requests_total\{method="GET",route="\/profile",status_class="2xx"\} (\d+)$/m.exec(text)?.[1];
  if (response.status !== 200 || checks === undefined) throw new Error(`the metrics-on process answered /metrics with ${response.status} and no count of its checks`);
  log(`metrics on: ${checks} checks counted, ${text.length} bytes per scrape`);
}

/**
 * A new, empty database for the scale run of `count` users: a file in the scratch folder, or
 * on PostgreSQL a database of its own beside the one given (dropped by `dropScaleDatabases`).
 */
async function scaleDatabase(count: number): Promise<string> {
  return emptyDatabase(`scale-${count}`, `scale_${count}`);
}

/** A new, empty database: a file of the scratch folder, or one beside the given PostgreSQL database. */
async function emptyDatabase(file: string, suffix: string): Promise<string> {
  if (engine === 'sqlite') return `sqlite:${join(scratch, `${file}.db`)}`;
  if (engine === 'mysql') throw new Error('databases beside the given one are made on SQLite and PostgreSQL only');
  const name = besideName(suffix);
  await onServer([`drop database if exists ${name}`, `create database ${name}`]);
  const url = new URL(database);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the PostgreSQL databases `emptyDatabase` made, by their suffixes. */
async function dropDatabases(suffixes: readonly string[]): Promise<void> {
  if (engine === 'postgres') await onServer(suffixes.map((suffix) => `drop database if exists ${besideName(suffix)}`));
}

const besideName = (suffix: string) => `${new URL(database).pathname.slice(1)}_${suffix}`;

/** Runs statements, one by one, on the PostgreSQL server the bench was given. */
async function onServer(statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

async function scaleRuns(): Promise<{ small: number; large: number }> {
  if (engine === 'mysql') {
    log('scale: seeding is written for SQLite and PostgreSQL only; skipped');
    return { small: 0, large: 0 };
  }
  const sizes = { small: SCALE_SMALL, large: scaleLarge };
  const servers: Record<string, { sesame: Listening; sample: string[] }> = {};
  const seeded: Record<string, Seeded> = {};
  for (const [name, count] of Object.entries(sizes)) {
    const path = await scaleDatabase(count);
    await runCli(['migrate', '--database', path]);
    const seededAt = Date.now();
    const sample = await seed(path, count, seededAt);
    seeded[name] = { database: path, count, nowMs: seededAt };
    log(`scale: seeded ${count} users and sessions in ${((Date.now() - seededAt) / 1000).toFixed(1)} s`);
    servers[name] = { sesame: await startSesame(path, sesameEnv), sample };
  }
  const check = (name: string, slice: number) => {
    const { sesame, sample } = servers[name]!;
    let next = 0;
    // 64 connections: autocannon counts latency in whole milliseconds, so a few of them would be too coarse to compare.
    return load({
      url: `${sesame.url}/profile`,
      connections: 64,
      seconds: slice,
      setupRequest: (request) => ({ ...request, headers: { cookie: `session_id=${sample[(next += 1) % sample.length]}` } }),
    });
  };
  // As for the other loads: no process is measured cold.
  for (const name of Object.keys(sizes)) await check(name, WARM_UP_SECONDS);
  for (let round = 0; round < rounds; round += 1) {
    // In interleaved slices, as for the throughputs: the host's drift weighs on both sizes.
    const order = rotated(Object.keys(sizes), round);
    const results = await interleaved(order.map((name) => (slice: number) => check(name, slice)), Math.min(seconds, SCALE_SECONDS), SLICE_SECONDS);
    order.forEach((name, index) => measured(`scale ${name}`, results[index]!));
  }
  await Promise.all(Object.values(servers).map(({ sesame }) => sesame.stop()));
  log('pages');
  await pageRuns(seeded);
  await dropDatabases(Object.values(sizes).map((count) => `scale_${count}`));
  return sizes;
}

/** A database the scale run seeded: where, how many users, and the time they were seeded at. */
interface Seeded {
  readonly database: string;
  readonly count: number;
  readonly nowMs: number;
}

/**
 * Pages of 100 users on the scale run's databases, read through the Store port in this
 * process as the admin API reads them (no HTTP in between: the figure is the query's), each
 * walk at both sizes in interleaved slices.
 */
async function pageRuns(seeded: Record<string, Seeded>): Promise<void> {
  for (const { database: url } of Object.values(seeded)) await disableSeeded(url);
  const stores = Object.fromEntries(
    await Promise.all(
      Object.entries(seeded).map(async ([name, { database: url }]) => {
        const problems: string[] = [];
        const config = parseDatabaseUrl(url, 1, 10, problems);
        if (config === null) throw new Error(problems.join('\n'));
        return [name, await openStore(config)] as const;
      }),
    ),
  );
  try {
    const walking = (walk: (typeof WALKS)[number], name: string) => (slice: number) => walkPages(stores[name]!, walk, seeded[name]!.count, seeded[name]!.nowMs, slice);
    for (const walk of WALKS) for (const name of Object.keys(seeded)) await walking(walk, name)(WARM_UP_SECONDS);
    for (let round = 0; round < rounds; round += 1) {
      for (const walk of WALKS) {
        const order = rotated(Object.keys(seeded), round);
        const results = await interleaved(order.map((name) => walking(walk, name)), Math.min(seconds, PAGES_SECONDS), SLICE_SECONDS);
        order.forEach((name, index) => measured(`pages ${walk.name} ${name}`, results[index]!));
      }
    }
  } finally {
    await Promise.all(Object.values(stores).map((store) => store.close()));
  }
}

function saveResults(figures: Figure[], durationMs: number): void {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const date = new Date().toISOString();
  const folder = values.results ?? fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${date.slice(0, 19).replaceAll(':', '-')}-${mode}-${engine}-${commit}.json`);
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}` };
  // Each series as measured, round by round, so that any figure (or one not in the table) can be recomputed.
  const measurements = Object.fromEntries(series);
  writeFileSync(file, `${JSON.stringify({ date, commit, mode, engine, redis: values.redis !== undefined, machine, rounds, seconds, durationMs, figures, series: measurements }, null, 2)}\n`);
  log(`results written to ${file}`);
}

/** The import's figures: into SQLite, and into PostgreSQL on the server given, else on the machine's own when it answers. */
async function runImportFigures(): Promise<Figure[]> {
  let postgresUrl: string | null = engine === 'postgres' ? database : 'postgres://postgres@127.0.0.1:5432/postgres';
  if (engine !== 'postgres') {
    const client = new pg.Client({ connectionString: postgresUrl });
    const isAnswering = await client.connect().then(
      () => true,
      () => false,
    );
    await client.end().catch(() => undefined);
    if (!isAnswering) {
      log('import: no PostgreSQL at 127.0.0.1:5432; into SQLite only');
      postgresUrl = null;
    }
  }
  const imported = await importFigures({ scratch, count: scaleLarge, postgresUrl, log });
  // A bcrypt log-in runs 4 to 30 a second here: a few seconds per load for a rate worth reading.
  const legacy = await legacyLoginFigures({ scratch, rounds, seconds: mode === 'smoke' ? 0.5 : LEGACY_LOGIN_SECONDS, costs: mode === 'smoke' ? [10] : [12, 10], log });
  return [...imported, ...legacy];
}

/**
 * `--only metrics`: the cost of counting alone, as the whole run measures it: the same cookie
 * check on two fresh processes on one database and session, metrics off and on, in
 * interleaved slices whose first rotates between rounds.
 */
async function metricsPart(): Promise<Figure[]> {
  if (engine === 'sqlite') await runCli(['migrate', '--database', database]);
  const sesame = await startSesame(database, sesameEnv);
  const { cookie } = await prepare(sesame.url);
  await sesame.stop();
  const metricsOff = await startSesame(database, sesameEnv);
  const metricsOn = await startSesame(database, { ...sesameEnv, SESAME_METRICS_TOKEN: METRICS_TOKEN });
  const check = (url: string) => (loadSeconds: number) => load({ url: `${url}/profile`, connections: 32, seconds: loadSeconds, headers: { cookie: `session_id=${cookie}` } });
  const loads: Record<string, (loadSeconds: number) => Promise<Measured>> = { 'check, metrics off': check(metricsOff.url), 'check, metrics on': check(metricsOn.url) };
  for (const warmUp of Object.values(loads)) await warmUp(WARM_UP_SECONDS);
  for (let round = 0; round < rounds; round += 1) {
    log(`round ${round + 1}/${rounds}`);
    const order = rotated(Object.keys(loads), round);
    const results = await interleaved(order.map((name) => loads[name]!), seconds, SLICE_SECONDS);
    order.forEach((name, index) => measured(name, results[index]!));
  }
  await checkScrape(metricsOn.url);
  await Promise.all([metricsOff.stop(), metricsOn.stop()]);
  return [metricsFigure(series)];
}

/**
 * One round of the family log-ins beside `/token`'s: each whole, for half the time, in mirrored
 * turns (A B C C B A) with the first rotating between rounds, and each followed by a settle.
 * Run once each in turn (A B C), the machine's drift within a round fell on one side of each
 * ratio; mirrored, a steady drift weighs on all three alike.
 */
async function familyRound(loads: Readonly<Record<string, (seconds: number) => Promise<Measured>>>, round: number): Promise<void> {
  const order = rotated(FAMILY_LOGINS, round);
  const results = await interleaved(
    order.map((name) => loads[name]!),
    seconds,
    seconds / 2,
    () => pause(LOGIN_SETTLE_MS),
  );
  order.forEach((name, index) => measured(name, results[index]!));
}

/** The family log-ins alone (`--only families`), on a Sesame of their own. */
async function familyPart(): Promise<Figure[]> {
  if (engine === 'sqlite') await runCli(['migrate', '--database', database]);
  const sesame = await startSesame(database, sesameEnv);
  try {
    await registerFamilyAccounts(sesame.url, PASSWORD);
    const loads = familyLoginLoads(sesame.url, PASSWORD);
    // A process's first load runs cold: none is measured.
    for (const warmUp of Object.values(loads)) await warmUp(Math.min(seconds, WARM_UP_SECONDS));
    for (let round = 0; round < rounds; round += 1) {
      log(`round ${round + 1}/${rounds}`);
      await familyRound(loads, round);
    }
  } finally {
    await sesame.stop();
  }
  return familyFigures(series);
}

/** The log-in page beside the cookie check on one Sesame (bench/pages.ts), warmed up, in interleaved slices each round. */
async function pagesPart(): Promise<Figure[]> {
  if (engine === 'sqlite') await runCli(['migrate', '--database', database]);
  const sesame = await startSesame(database, sesameEnv);
  const bare = await startReference('bare');
  const replayed = await startReference('replayed-page', [`${sesame.url}${LOG_IN_PAGE_PATH}`]);
  try {
    const { cookie } = await prepare(sesame.url);
    const { loads, takeCpu } = logInPageLoads({ sesame, bare, replayed }, { cookie: `session_id=${cookie}` });
    for (const warmUp of Object.values(loads)) await warmUp(Math.min(seconds, WARM_UP_SECONDS));
    takeCpu();
    for (let round = 0; round < rounds; round += 1) {
      log(`round ${round + 1}/${rounds}`);
      const order = rotated([...LOG_IN_PAGE_LOADS], round);
      const results = await interleaved(order.map((name) => loads[name]), seconds, SLICE_SECONDS);
      order.forEach((name, index) => measured(name, results[index]!));
      recordPageCpu(takeCpu());
    }
    const bytes = await logInPageBytes(sesame.url);
    record('log-in page bytes', bytes.page);
    record('log-in stylesheet bytes', bytes.stylesheet);
  } finally {
    await Promise.all([sesame.stop(), bare.stop(), replayed.stop()]);
  }
  return logInPageFigures(series);
}

const onlyParts: Record<string, () => Promise<Figure[]>> = {
  email: () => emailPart().then(() => emailFigures(series, drainCount)),
  import: runImportFigures,
  metrics: metricsPart,
  families: familyPart,
  pages: pagesPart,
};

/** `--only email`, `--only import`, `--only metrics`, `--only families` or `--only pages`: that part alone, reported as the whole run is. */
async function onlyOnePart(part: string): Promise<void> {
  const started = Date.now();
  log(`bench (${mode}), the ${part} only`);
  const figures = await onlyParts[part]!();
  process.stdout.write(`${formatTable(figures)}\n`);
  saveResults(figures, Date.now() - started);
}

await (values.only === undefined ? main() : onlyOnePart(values.only));
