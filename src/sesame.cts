#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `sesame` command: sizes libuv's thread pool, where password hashes run, then starts the
 * program (main.ts). libuv creates the pool when it is first used, and loading an ES module
 * is a use, so this one file is CommonJS. One thread per core: with spare threads, hashes
 * wander between threads whose memory is cold, and log-ins ran at 0.77 of this machine's raw
 * hash rate instead of 0.85 (BENCHMARKS.md). Token signing shares the pool; it waits for a
 * hash at most.
 *
 * Node is run with a young generation of 4 MB semi-spaces (npm start, the Dockerfile, this
 * file's first line): left to itself, V8 grows it to 16 MB at start-up, and an idle service
 * keeps the 17 MB more for good. Session checks and log-ins ran as fast either way.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose, as said above.
import os = require('node:os');

if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(os.availableParallelism());
void import('./main.js');
