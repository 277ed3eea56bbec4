#!/usr/bin/env node
/**
 * The `sesame` command: sets up libuv's thread pool, where password hashes run, then starts
 * the program (main.ts). libuv creates the pool when it is first used, and loading an ES
 * module is a use, so this one file is CommonJS.
 *
 * - One thread per core: with spare threads, hashes wander between threads whose memory is
 *   cold, and log-ins ran at 0.77 of this machine's raw hash rate instead of 0.85
 *   (BENCHMARKS.md). Token signing shares the pool; it waits for a hash at most.
 * - On Linux, the pool's threads run at a lower CPU priority (nice 10) than the event loop,
 *   so that a log-in storm cannot starve session checks (DESIGN.md §1). Linux keeps a nice
 *   value per thread, which a process may raise for its own threads: the pool's threads are
 *   the ones that appear when it is created.
 * - `npm start` and the Dockerfile run Node with a young generation of 4 MB semi-spaces:
 *   left to itself, V8 grows it to 16 MB at start-up, and an idle service keeps the 17 MB
 *   more for good. Session checks and log-ins ran as fast either way. They also cap the old
 *   generation's growth between full collections at twice what is live
 *   (`--heap-growing-percent=100`): under load V8 let it fill with up to four times that in
 *   garbage. And they keep every allocation in the young generation first
 *   (`--no-allocation-site-pretenuring`): with semi-spaces this small, collections often
 *   find query results still in use, V8 then takes them for long-lived and allocates them
 *   straight in the old generation, and there they die and wait for a full collection. On
 *   PostgreSQL that was 0.6 KB a session check, and about 5 µs of its CPU. (Not in this
 *   file's first line: `env -S`, which it would need, is missing from some systems' env.)
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose, as said above.
import os = require('node:os');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- as above.
import fs = require('node:fs');

const HASH_THREAD_NICENESS = 10;

if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(os.availableParallelism());

/** Lowers the priority of libuv's threads, creating them; a preference, so nothing here may stop the start. */
function lowerHashThreads(): void {
  const threads = () => new Set(fs.readdirSync('/proc/self/task'));
  try {
    const before = threads();
    // The first request for the pool creates all its threads before it returns.
    fs.access('.', () => undefined);
    for (const thread of threads()) if (!before.has(thread)) os.setPriority(Number(thread), HASH_THREAD_NICENESS);
  } catch {
    // No /proc, or a thread gone: hashes and checks then share the CPU evenly.
  }
}

if (process.platform === 'linux') lowerHashThreads();
void import('./main.js');
