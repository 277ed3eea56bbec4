import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import bcrypt from 'bcrypt';
import { load } from './load.js';
import { runCli, runReference, startSesame } from './processes.js';
import { median, type Figure } from './report.js';

/**
 * Issue 21: a log-in with an imported bcrypt hash is bound by the hash, as an argon2id one is.
 * Users imported by `sesame import` with a bcrypt hash log in through `POST /sessions`, beside
 * the raw rate of the same hashing in the same run, round after round.
 *
 * The first successful log-in rehashes a user to argon2id, so every log-in here is a distinct
 * user's first, and its hashing is a bcrypt check (the `bcrypt` binding Sesame verifies with)
 * and then an argon2id hash: the raw rate does both, one log-in per core in flight. Against the
 * bcrypt check alone the ratio could not reach the target at cost 10 (the rehash is some 17% of
 * such a log-in here, 5% at cost 12) however lean Sesame's own work were.
 */
export async function legacyLoginFigures(options: {
  readonly scratch: string;
  readonly rounds: number;
  /** How long each load runs at cost 10; twice as long per cost above, for as many log-ins. */
  readonly seconds: number;
  /** bcrypt costs to measure: 12 is the Holberton app's. */
  readonly costs: readonly number[];
  readonly log: (line: string) => void;
}): Promise<Figure[]> {
  const { scratch, rounds, log } = options;
  const figures: Figure[] = [];
  for (const cost of options.costs) {
    // Some 15 log-ins in flight or queued at a load's ends would weigh on a load of a few dozen.
    const seconds = options.seconds * 2 ** Math.max(0, cost - 10);
    const hash = await bcrypt.hash(PASSWORD, cost);
    const database = `sqlite:${join(scratch, `legacy-login-${cost}.db`)}`;
    await runCli(['migrate', '--database', database]);
    const source = join(scratch, `legacy-login-${cost}.jsonl`);
    writeFileSync(source, Array.from({ length: USERS }, (_, index) => `${JSON.stringify({ email: email(cost, index), password_hash: hash })}\n`).join(''));
    await runCli(['import', source, '--database', database, '--report', join(scratch, `legacy-login-${cost}-report.jsonl`)]);
    const sesame = await startSesame(database);
    let next = 0;
    const logins = (loadSeconds: number) =>
      load({
        url: `${sesame.url}/sessions`,
        connections: CONNECTIONS,
        seconds: loadSeconds,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest: (request) => {
          if (next === USERS) throw new Error(`legacy log-in: all ${USERS} imported users have logged in once`);
          return { ...request, body: new URLSearchParams({ email: email(cost, next++), password: PASSWORD }).toString() };
        },
      });
    try {
      // Unmeasured: the JIT's first pass, and the bcrypt binding Sesame loads at its first legacy hash.
      await logins(Math.min(seconds, 1));
      await pause(SETTLE_MS);
      const loginRates: number[] = [];
      const rawRates: number[] = [];
      for (let round = 0; round < rounds; round += 1) {
        // The order alternates, so that neither always runs first in a round.
        const steps = [
          async () => {
            const measured = await logins(seconds);
            if (measured.failures > 0) log(`legacy log-in, bcrypt cost ${cost}: ${measured.failures} log-ins failed`);
            loginRates.push(measured.perSecond);
            await pause(SETTLE_MS);
          },
          async () => {
            const threads = { UV_THREADPOOL_SIZE: String(cpus().length) };
            const raw = await runReference<{ perSecond: number }>('bcrypt-rate', [String(cpus().length), String(seconds), hash, PASSWORD], threads);
            rawRates.push(raw.perSecond);
          },
        ];
        for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
      }
      const ratios = loginRates.map((rate, round) => rate / rawRates[round]!);
      log(`legacy log-in, bcrypt cost ${cost}: ${loginRates.map((rate) => rate.toFixed(1)).join(', ')}/s against raw ${rawRates.map((rate) => rate.toFixed(1)).join(', ')}/s (${next} users)`);
      figures.push({
        name: `log-in with an imported bcrypt hash (cost ${cost}), POST /sessions`,
        value: `${median(loginRates).toFixed(1)}/s`,
        limit: `raw bcrypt check + argon2id hash ${median(rawRates).toFixed(1)}/s`,
        samples: ratios,
        median: median(ratios),
        target: `≥ ${TARGET}`,
        isMet: median(ratios) >= TARGET,
      });
    } finally {
      await sesame.stop();
    }
  }
  return figures;
}

const PASSWORD = 'legacy password, long enough';
// Enough that no user logs in twice: at cost 10 this machine checks some 30 hashes a second.
const USERS = 3000;
// A few log-ins queued behind the ones hashing on each core, as under load, well within the hash queue.
const CONNECTIONS = 8;
// The log-in target of an argon2id hash (DESIGN.md §5): bound by the hash alike.
const TARGET = 0.85;
// After a load, the log-ins it left queued finish before the next step.
const SETTLE_MS = 500;
const email = (cost: number, index: number) => `legacy${cost}-${index}@bench.example`;
