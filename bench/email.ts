import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { emailSealingKey, createOutbox } from '../src/core/outbox.js';
import { openStore } from '../src/store/open-store.js';
import { SmtpSink } from '../test/support/smtp-sink.js';
import { interleaved, load, type Measured } from './load.js';
import { runCli, startSesame } from './processes.js';
import type { Figure } from './report.js';

/** What the email part of the run needs from the harness around it. */
export interface EmailBenchHarness {
  readonly scratch: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly sliceSeconds: number;
  /** How many messages the drain queues (1,000; fewer in a smoke run). */
  readonly drainCount: number;
  readonly log: (line: string) => void;
  readonly record: (name: string, value: number) => void;
  readonly measured: (name: string, result: Measured) => void;
}

// The slow server of issue 22: two seconds to accept each message.
const SLOW_SMTP_MS = 2000;
// The drain's server: quick enough for a thousand messages to take seconds, slow enough that its pace is the limit.
const DRAIN_SMTP_MS = 50;
const MAX_CONNECTIONS = 5;
const ACCOUNTS = 64;
const KEY_ENCRYPTION_KEY = 'c1d6f0f6a2b84e0d9b3f5a7c2e4d6f8091a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0';

const resetEnv = {
  // The load measures the request, not the limits: every request comes from one address and names one of a few accounts.
  SESAME_LIMIT_RESET_REQUESTS: '1000000',
  SESAME_LIMIT_CLIENT_RESET_REQUESTS: '1000000',
  SESAME_LIMIT_CLIENT_REGISTRATIONS: '1000000',
  SESAME_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY,
};
const emailEnv = (sink: SmtpSink) => ({
  ...resetEnv,
  ...sink.env(),
  SESAME_RESET_TOKEN_DELIVERY: 'email',
  SESAME_RESET_URL: 'https://app.example.test/reset?token={token}&email={email}',
  SESAME_SMTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
});

/**
 * Issue 22's figures: POST /reset_password's p99 with email delivery to an SMTP server that
 * takes 2 s per message, beside its p99 with email off (the token in the answer), in
 * interleaved slices; and a queue of messages drained with a bounded number of connections.
 */
export async function emailRuns(harness: EmailBenchHarness): Promise<void> {
  const { scratch, rounds, seconds, sliceSeconds, log, record, measured } = harness;
  log('email: POST /reset_password with SMTP at 2 s per message, with an instant one, and with email off');
  const slow = await SmtpSink.start({ delayMs: SLOW_SMTP_MS });
  const instant = await SmtpSink.start();
  const servers = {
    'reset email slow smtp': await startSesame(`sqlite:${join(scratch, 'email-slow.db')}`, emailEnv(slow)),
    'reset email instant smtp': await startSesame(`sqlite:${join(scratch, 'email-instant.db')}`, emailEnv(instant)),
    'reset email off': await startSesame(`sqlite:${join(scratch, 'email-off.db')}`, resetEnv),
  };
  try {
    for (const { url } of Object.values(servers)) {
      for (let index = 0; index < ACCOUNTS; index += 1) {
        await fetch(`${url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `reset${index}@bench.example`, password: 'bench password' }) });
      }
    }
    let next = 0;
    const resets = (url: string) => (loadSeconds: number) =>
      load({
        url: `${url}/reset_password`,
        connections: 16,
        seconds: loadSeconds,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest: (request) => ({ ...request, body: `email=reset${(next = (next + 1) % ACCOUNTS)}%40bench.example` }),
      });
    const names = Object.keys(servers) as Array<keyof typeof servers>;
    for (const name of names) await resets(servers[name].url)(0.3);
    for (let round = 0; round < rounds; round += 1) {
      const order = names.map((_, index) => names[(index + round) % names.length]!);
      const results = await interleaved(order.map((name) => resets(servers[name].url)), seconds, sliceSeconds);
      order.forEach((name, index) => measured(name, results[index]!));
    }
    log(`email: ${slow.count()} messages accepted by the slow server meanwhile, at most ${slow.maxConnections} connections`);
  } finally {
    await Promise.all([...Object.values(servers).map((server) => server.stop()), slow.stop(), instant.stop()]);
  }

  // The drain: messages queued straight into the outbox, as requests leave them, then one
  // instance sends them all.
  log(`email: draining ${harness.drainCount} queued messages at ${DRAIN_SMTP_MS} ms per message, ${MAX_CONNECTIONS} connections at most`);
  const path = join(scratch, 'email-drain.db');
  await runCli(['migrate', '--database', `sqlite:${path}`]);
  const store = await openStore({ engine: 'sqlite', path });
  try {
    const outbox = createOutbox(emailSealingKey(Buffer.from(KEY_ENCRYPTION_KEY, 'hex')), () => undefined);
    for (let index = 0; index < harness.drainCount; index += 1) {
      const event = { type: 'password.changed', data: { user_id: `u${index}`, email: `drain${index}@bench.example`, reason: 'reset' } } as const;
      await store.saveResetRequest(null, outbox.message(event, new Date()));
    }
  } finally {
    await store.close();
  }
  const drainSink = await SmtpSink.start({ delayMs: DRAIN_SMTP_MS });
  const started = performance.now();
  const drainer = await startSesame(`sqlite:${path}`, emailEnv(drainSink));
  try {
    while (drainSink.count() < harness.drainCount) {
      if (performance.now() - started > 300_000) throw new Error(`the drain stalled at ${drainSink.count()} of ${harness.drainCount} messages`);
      await pause(20);
    }
    const drainSeconds = (performance.now() - started) / 1000;
    record('drain/s', harness.drainCount / drainSeconds);
    record('drain server pace/s', (MAX_CONNECTIONS * 1000) / DRAIN_SMTP_MS);
    record('drain max connections', drainSink.maxConnections);
    log(`email: ${harness.drainCount} messages in ${drainSeconds.toFixed(1)} s (from the start of the process), at most ${drainSink.maxConnections} connections`);
  } finally {
    await Promise.all([drainer.stop(), drainSink.stop()]);
  }
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;

/** The email figures, from the series `emailRuns` recorded. */
export function emailFigures(series: ReadonlyMap<string, number[]>, drainCount: number): Figure[] {
  const get = (name: string) => {
    const values = series.get(name);
    if (values === undefined) throw new Error(`the run recorded no series named "${name}"`);
    return values;
  };
  const slow = get('reset email slow smtp p99');
  const instant = get('reset email instant smtp p99');
  const off = get('reset email off p99');
  const over = (of: readonly number[], limit: readonly number[]) => of.map((value, round) => value / limit[round]!);
  const drained = get('drain/s');
  const pace = get('drain server pace/s');
  const drainSamples = drained.map((value, round) => value / pace[round]!);
  return [
    {
      name: 'email: POST /reset_password p99, SMTP at 2 s per message vs email off',
      value: `${median(slow).toFixed(1)} ms`,
      limit: `email off: p99 ${median(off).toFixed(1)} ms`,
      samples: over(slow, off),
      median: median(over(slow, off)),
      target: '≤ 1.5',
      isMet: median(over(slow, off)) <= 1.5,
    },
    // What the SMTP server's speed does to the request: nothing, if the outbox keeps them apart.
    {
      name: 'email: POST /reset_password p99, SMTP at 2 s per message vs an instant one',
      value: `${median(slow).toFixed(1)} ms`,
      limit: `instant SMTP: p99 ${median(instant).toFixed(1)} ms`,
      samples: over(slow, instant),
      median: median(over(slow, instant)),
      target: '≤ 1.5',
      isMet: median(over(slow, instant)) <= 1.5,
    },
    {
      name: `email: ${drainCount.toLocaleString('en')} queued messages drained vs the SMTP server's pace`,
      value: `${median(drained).toFixed(0)}/s, at most ${Math.max(...get('drain max connections'))} connections`,
      limit: `${MAX_CONNECTIONS} connections × ${DRAIN_SMTP_MS} ms: ${median(pace).toFixed(0)}/s`,
      samples: drainSamples,
      median: median(drainSamples),
      target: '–',
      isMet: null,
    },
  ];
}
