import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, testKeyPrefix } from './support/databases.js';
import { MAIN_JS, startServer, type ServerProcess } from './support/server-process.js';
import { tempDatabasePath } from './support/test-config.js';

/** A port something listens on, and a function that frees it. */
async function takenPort(): Promise<{ port: number; free: () => Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, free: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on (freed just before it is returned). */
async function closedPort(): Promise<number> {
  const { port, free } = await takenPort();
  await free();
  return port;
}

/** DESIGN.md §6: a start that cannot serve ends at once, and /ready is true only when every dependency answers. */
describe('starting sesame serve', () => {
  const running: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
  });

  it('exits 1 at once when its port is taken, with Redis configured', async () => {
    const taken = await takenPort();
    try {
      const started = startServer({
        command: [process.execPath, MAIN_JS, 'serve', '--port', String(taken.port)],
        database: `sqlite:${tempDatabasePath()}`,
        env: { SESAME_REDIS_URL: `redis://127.0.0.1:${await closedPort()}` },
      });
      // The server never listens; were it to stay up, the helper would give up after 15 s.
      const error = await started.then(() => new Error('it listened'), (error: unknown) => error as Error);
      const exitedAt = Date.now();
      expect(error.message).toMatch(/^server exited with 1 before listening:[^]*"msg":"serve failed: listen EADDRINUSE/);
      const failedAt = Date.parse(/"time":"([^"]+)"[^\n]*"msg":"serve failed/.exec(error.message)![1]!);
      expect(exitedAt - failedAt).toBeLessThan(1000);
    } finally {
      await taken.free();
    }
  });

  it('is alive but not ready while its Redis cannot be reached', async () => {
    const server = await startServer({
      database: `sqlite:${tempDatabasePath()}`,
      env: { SESAME_REDIS_URL: `redis://127.0.0.1:${await closedPort()}` },
    });
    running.push(server);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ message: 'service unavailable, retry shortly' });
  });

  it.runIf(TEST_REDIS_URL)('is ready once its store and its Redis answer', async () => {
    const server = await startServer({
      database: `sqlite:${tempDatabasePath()}`,
      env: { SESAME_REDIS_URL: TEST_REDIS_URL!, SESAME_REDIS_KEY_PREFIX: testKeyPrefix() },
    });
    running.push(server);
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
