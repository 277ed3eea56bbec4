import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { combineSlices, followingChains, interleaved, load, percentiles } from '../bench/load.js';
import { formatTable, type Figure } from '../bench/report.js';
import { TEST_ENGINES } from './support/databases.js';

/**
 * The benchmark's smoke run: one short round of every scenario, asserting only that it
 * completes and reports every figure (the figures themselves are `npm run bench`'s business;
 * on a machine busy with the rest of the suite, some loads may time out, which the run reports).
 */
describe('npm run bench --smoke', () => {
  it('runs every scenario once and reports every figure, in the table and as JSON', async () => {
    const results = mkdtempSync(join(tmpdir(), 'sesame-bench-results-'));
    // This checkout as its own baseline: the comparison of two builds runs, whatever it finds.
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--results', results, '--baseline', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    const figures = [
      'cookie check (GET /profile)',
      'log-in page (GET /ui/login), server CPU per answer vs a cookie check',
      "Sesame's GET /, server CPU per answer vs the same cookie check",
      'bare Fastify route, server CPU per answer vs the same cookie check',
      'the log-in page replayed by node:http, server CPU per answer vs the same cookie check',
      'log-in page with its stylesheet, bytes',
      'cookie check vs the same one query',
      `cookie check vs the build ${commit}`,
      'Bearer check (GET /profile)',
      'cookie check, metrics on vs off',
      'Bearer check vs a bare jose verify',
      'POST /introspect',
      'login, POST /sessions',
      'login, POST /sessions vs a minimal log-in route',
      'minimal log-in route vs the raw hash rate',
      'login, POST /token',
      'login, POST /auth/login (python-jwt-auth) vs POST /token',
      'login, POST /login (course) vs POST /token',
      'registration, POST /users',
      'registration, POST /users vs a minimal registration route',
      'minimal registration route vs the raw hash rate',
      'refresh, POST /token',
      'storm: check p99 under 16 log-in connections',
      'storm: check p99 vs the same one query in the same storm',
      'scale: check p50, 10,000 vs 1,000 users and sessions',
      'scale: check p99, 10,000 vs 1,000 users and sessions',
      'pages of 100: first pages, newest first, p99 at 10,000 users vs 1,000 users',
      'pages of 100: deep pages, newest first, p99 at 10,000 users vs 1,000 users',
      'pages of 100: deep pages, oldest first, p99 at 10,000 users vs 1,000 users',
      'pages of 100: disabled users, newest first, p99 at 10,000 users vs 1,000 users',
      'pages of 100: email prefix, newest first, p99 at 10,000 users vs 1,000 users',
      "pages of 100: the slowest walk's p99 at 10,000 users",
      'RSS idle',
      'RSS after the storm',
      'start to first 200 on /ready',
      'email: POST /reset_password p99, SMTP at 2 s per message vs email off',
      'email: POST /reset_password p99, SMTP at 2 s per message vs an instant one',
      "email: 100 queued messages drained vs the SMTP server's pace",
      // The import's (issue 21): into SQLite, and into PostgreSQL when the machine's own answers.
      ...['sqlite', ...(TEST_ENGINES.includes('postgres') ? ['postgres'] : [])].flatMap((engine) => [
        `import 10,000 users, SQLite → ${engine}`,
        `import into ${engine}: importer peak RSS`,
      ]),
      'log-in with an imported bcrypt hash (cost 10), POST /sessions',
    ];
    for (const figure of figures) expect(stdout).toContain(`| ${figure} |`);
    const [file] = readdirSync(results);
    const saved = JSON.parse(readFileSync(join(results, file!), 'utf8')) as {
      figures: Array<{ name: string }>;
      machine: { cores: number };
      series: Record<string, number[]>;
    };
    expect(saved.figures.map((figure) => figure.name)).toEqual(figures);
    expect(saved.machine.cores).toBeGreaterThan(0);
    // The measurements behind the figures, one value per round.
    for (const name of ['argon2id x2/s', 'login /sessions/s', 'minimal login/s', 'registration/s', 'minimal registration/s', 'cookie check p99', 'pages deep pages, newest first large p99', 'baseline cookie check/s', 'pages disabled users, newest first large p99']) {
      expect(saved.series[name], name).toHaveLength(1);
    }
  }, 240_000);
});

describe('the bench table', () => {
  const figure = (median: number, target: string, isMet: boolean): Figure => ({ name: 'f', value: '1/s', limit: 'l 1/s', samples: [median], median, target, isMet });
  const ratioOf = (table: string) => table.split('\n')[2]!.split(' | ')[3];

  it('shows a missed ratio that rounds onto its target with the digit that decides it', () => {
    expect(ratioOf(formatTable([figure(0.8469, '≥ 0.85', false)]))).toBe('0.847 (0.85–0.85)');
    expect(ratioOf(formatTable([figure(0.84996, '≥ 0.85', false)]))).toBe('0.849 (0.85–0.85)');
    expect(ratioOf(formatTable([figure(0.7996, '≥ 0.8', false)]))).toBe('0.799 (0.80–0.80)');
    expect(ratioOf(formatTable([figure(1.2504, '≤ 1.25', false)]))).toBe('1.251 (1.25–1.25)');
  });

  it('shows every other ratio with two decimals', () => {
    expect(ratioOf(formatTable([figure(0.8503, '≥ 0.85', true)]))).toBe('0.85 (0.85–0.85)');
    expect(ratioOf(formatTable([figure(0.8, '≥ 0.6', true)]))).toBe('0.80 (0.80–0.80)');
    expect(ratioOf(formatTable([figure(0.8432, '≥ 0.85', false)]))).toBe('0.84 (0.84–0.84)');
    expect(ratioOf(formatTable([{ ...figure(1.3846, '–', false), isMet: null }]))).toBe('1.38 (1.38–1.38)');
  });
});

describe('a bench load', () => {
  it('runs as long as it is asked, not to the next whole second, and times answers finer than a millisecond', async () => {
    const app = Fastify();
    app.get('/', () => ({ ok: true }));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const startedAt = performance.now();
      const measured = await load({ url: `${url}/`, connections: 4, seconds: 0.2 });
      // autocannon's default sample tick (1 s) made any load under a second last one.
      expect(performance.now() - startedAt).toBeLessThan(900);
      expect(measured.perSecond).toBeGreaterThan(0);
      expect(measured.failures).toBe(0);
      // autocannon's own percentiles are whole milliseconds (0 for a fast answer); these are measured.
      expect(measured.p50).toBeGreaterThan(0);
      expect(Number.isInteger(measured.p50)).toBe(false);
    } finally {
      await app.close();
    }
  });
});

describe('a load that follows chains', () => {
  it('presents in every request the token the last answer of its chain gave', async () => {
    // Each chain's current token is the only one the server takes; the answer names the next.
    const current = new Map<string, number>();
    const app = Fastify();
    app.post<{ Body: { token: string } }>('/next', async (request, reply) => {
      const [chain, step] = request.body.token.split(':');
      if (chain === undefined || current.get(chain) !== Number(step)) return reply.code(400).send({ message: 'not the current token' });
      current.set(chain, Number(step) + 1);
      return { next: `${chain}:${Number(step) + 1}` };
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const tokens = ['a', 'b', 'c', 'd'].map((chain) => (current.set(chain, 0), `${chain}:0`));
      const measured = await load({
        url: `${url}/next`,
        connections: tokens.length,
        seconds: 0.3,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...followingChains(tokens, (token) => JSON.stringify({ token }), (body) => (JSON.parse(body) as { next: string }).next),
      });
      expect(measured.failures).toBe(0);
      expect(measured.perSecond).toBeGreaterThan(0);
      // Every chain moved on, by as many answers as there were in all.
      expect([...current.values()].reduce((sum, steps) => sum + steps, 0)).toBeGreaterThanOrEqual(Math.floor(measured.perSecond * 0.3));
      expect([...current.values()].every((steps) => steps > 0)).toBe(true);
    } finally {
      await app.close();
    }
  });
});

describe('slices of one load', () => {
  const slice = (latencies: number[]) => ({ perSecond: latencies.length, ...percentiles(latencies), failures: 0, latencies });

  it('are combined over all their answers, not slice by slice', () => {
    const combined = combineSlices([slice([1, 2, 3]), slice([10, 20, 30])]);
    // Slice by slice, the median of the medians would be 20 (or 2), the p99 the worst slice's.
    expect(combined.p50).toBe(3);
    expect(combined.p99).toBe(30);
    expect(combined.perSecond).toBe(3);
    expect(combined.latencies).toHaveLength(6);
  });

  it('of loads measured beside each other take turns, each turn the reverse of the last', async () => {
    const turns: Array<[string, number]> = [];
    const recording = (name: string, latency: number) => (seconds: number) => {
      turns.push([name, seconds]);
      return Promise.resolve(slice([latency]));
    };
    const [a, b, c] = await interleaved([recording('a', 1), recording('b', 2), recording('c', 3)], 2, 0.5);
    expect(turns.map(([name]) => name).join('')).toBe('abccbaabccba');
    expect(turns.every(([, seconds]) => seconds === 0.5)).toBe(true);
    // Each load's own slices, combined, in the order the loads were given.
    expect([a!.latencies, b!.latencies, c!.latencies]).toEqual([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
  });

  it('of loads measured beside each other settle after every slice, outside the measurement', async () => {
    const events: string[] = [];
    const recording = (name: string) => () => {
      events.push(name);
      return Promise.resolve(slice([1]));
    };
    await interleaved([recording('a'), recording('b')], 1, 0.5, async () => events.push('.'));
    expect(events.join('')).toBe('a.b.b.a.');
  });

  it('take nearest-rank percentiles', () => {
    const latencies = Array.from({ length: 1000 }, (_, index) => index + 1);
    expect(percentiles(latencies)).toEqual({ p50: 500, p99: 990 });
    expect(percentiles([])).toEqual({ p50: 0, p99: 0 });
  });
});
