import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One temporary folder for the run, removed at its end; then which database servers
    // answer, found once, before the suites are collected.
    globalSetup: ['test/support/temp-folder.ts', 'test/support/probe-servers.ts'],
    pool: 'forks',
    // Vitest's default on two cores is one file at a time; most suites wait on servers, child
    // processes and browsers, so two at a time took the suite from 672 s to 441 s here.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
