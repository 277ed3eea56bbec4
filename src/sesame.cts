#!/usr/bin/env node
/**
 * The `sesame` command: sizes libuv's thread pool, where password hashes run, then starts the
 * program (main.ts). libuv creates the pool when it is first used, and loading an ES module
 * is a use, so this one file is CommonJS. One thread per core: with spare threads, hashes
 * wander between threads whose memory is cold, and log-ins ran at 0.77 of this machine's raw
 * hash rate instead of 0.85 (BENCHMARKS.md). Token signing shares the pool; it waits for a
 * hash at most.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose, as said above.
import os = require('node:os');

process.env.UV_THREADPOOL_SIZE ??= String(os.availableParallelism());
void import('./main.js');
