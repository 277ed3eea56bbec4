#!/usr/bin/env node
/**
 * The `sesame` command: sets up libuv's thread pool, where password hashes run, then starts
 * the program (main.ts). libuv creates the pool when it is first used, and loading an ES
 * module is a use, so this one file is CommonJS.
 *
 * - One thread per core: with spare threads, hashes wander between threads whose memory is
 *   cold (BENCHMARKS.md, item 4). Token signing shares the pool; it waits for a hash at most.
 * - On Linux, the pool's threads run at a lower CPU priority (nice 10) than the event loop,
 *   so that a log-in storm cannot starve session checks (DESIGN.md §1). Linux keeps a nice
 *   value per thread, which a process may raise for its own threads: the pool's threads are
 *   the ones that appear when it is created.
 *
 * The V8 flags that `npm start` and the Dockerfile add are explained in one place,
 * docs/operations.md; they are not on this file's first line because `env -S` is missing from
 * some systems' env.
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
