import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, describeEngines, SERVER_ENGINES, type TestDatabase } from './support/databases.js';
import { requests } from './support/requests-like.js';
import { runCli, startServer, type ServerProcess } from './support/server-process.js';
import { TcpProxy } from './support/tcp-proxy.js';

/** DESIGN.md §6: the database goes away and comes back; Sesame stays up, says 503, and recovers by itself. */
describeEngines(SERVER_ENGINES, 'losing %s', (engine) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function serverBehindProxy(env: Record<string, string> = {}): Promise<{ server: ServerProcess; proxy: TcpProxy; database: TestDatabase }> {
    const database = await createTestDatabase(engine);
    cleanups.push(() => database.drop());
    const target = new URL(database.url);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port));
    cleanups.push(() => proxy.stop());
    const server = await startServer({ database: proxy.through(database.url), env });
    cleanups.push(() => server.stop('SIGKILL'));
    return { server, proxy, database };
  }

  it("answers 503 in each route family's shape, is not ready, stays up, and recovers", async () => {
    const { server, proxy } = await serverBehindProxy();
    await requests.post(`${server.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
    const cookie = (await requests.post(`${server.url}/sessions`, { data: { email: 'a@x.io', password: 'pw' } })).cookies.get('session_id')!;

    await proxy.cut();
    const profile = await requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } });
    expect(profile.statusCode).toBe(503);
    expect(profile.headers.get('retry-after')).toBe('5');
    expect(profile.json()).toEqual({ message: 'service unavailable, retry shortly' });
    const token = await requests.post(`${server.url}/token`, { data: { grant_type: 'password', username: 'a@x.io', password: 'pw' } });
    expect(token.statusCode).toBe(503);
    expect(token.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'service unavailable, retry shortly' });
    expect((await requests.get(`${server.url}/ready`)).statusCode).toBe(503);
    expect((await requests.get(`${server.url}/health`)).statusCode).toBe(200);

    await proxy.restore();
    await expect.poll(async () => (await requests.get(`${server.url}/ready`)).statusCode, { timeout: 15_000 }).toBe(200);
    expect((await requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } })).statusCode).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });

  it('stays up when the database goes away under requests in flight', async () => {
    // Twenty log-ins at once to one account: the attempt limits would refuse most of them.
    const { server, proxy } = await serverBehindProxy({ SESAME_LIMIT_ACCOUNT_FREE_FAILURES: '50', SESAME_LIMIT_ACCOUNT_CLIENT_FAILURES: '50' });
    await requests.post(`${server.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
    const cookie = (await requests.post(`${server.url}/sessions`, { data: { email: 'a@x.io', password: 'pw' } })).cookies.get('session_id')!;
    const traffic = Array.from({ length: 40 }, (_, index) =>
      index % 2 === 0
        ? requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } })
        : requests.post(`${server.url}/token`, { data: { grant_type: 'password', username: 'a@x.io', password: 'pw' } }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await proxy.cut();
    const statuses = (await Promise.all(traffic)).map((response) => response.statusCode);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(server.child.exitCode).toBeNull();
    await proxy.restore();
    await expect.poll(async () => (await requests.get(`${server.url}/ready`)).statusCode, { timeout: 15_000 }).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });

  it('answers 503 in time when the database stops answering without closing its connections', async () => {
    const { server, proxy } = await serverBehindProxy({ SESAME_DATABASE_TIMEOUT_SECONDS: '1' });
    await requests.post(`${server.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
    const cookie = (await requests.post(`${server.url}/sessions`, { data: { email: 'a@x.io', password: 'pw' } })).cookies.get('session_id')!;
    proxy.stall();
    const started = Date.now();
    const profile = await requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } });
    expect(profile.statusCode).toBe(503);
    expect((await requests.get(`${server.url}/ready`)).statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    proxy.resume();
    await expect.poll(async () => (await requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } })).statusCode, { timeout: 15_000 }).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });

  it('recovers by itself from a silent network loss under concurrent requests, the swallowed connections given up', async () => {
    const { server, proxy } = await serverBehindProxy({ SESAME_DATABASE_TIMEOUT_SECONDS: '1' });
    await requests.post(`${server.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
    const cookie = (await requests.post(`${server.url}/sessions`, { data: { email: 'a@x.io', password: 'pw' } })).cookies.get('session_id')!;
    const profile = async () => (await requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } })).statusCode;
    // Twenty-four clients asking all along, so that every pooled connection is in use when the network goes.
    let isLoading = true;
    const clients = Array.from({ length: 24 }, async () => {
      while (isLoading) await profile().catch(() => 0);
    });
    cleanups.push(async () => {
      isLoading = false;
      await Promise.allSettled(clients);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.blackhole();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await profile()).toBe(503);

    await proxy.restore();
    const restored = Date.now();
    await expect
      .poll(async () => (await Promise.all(Array.from({ length: 24 }, profile))).every((status) => status === 200), { timeout: 10_000, interval: 200 })
      .toBe(true);
    const recoveredMs = Date.now() - restored;
    const ready = Date.now();
    expect((await requests.get(`${server.url}/ready`)).statusCode).toBe(200);
    expect(Date.now() - ready).toBeLessThan(500);
    // Within a few deadlines: the connections that missed theirs are replaced, not waited for.
    expect(recoveredMs).toBeLessThan(5_000);
    expect(server.child.exitCode).toBeNull();
  });

  it('logs an outage under load in two lines, its cause and its end, not one per request', async () => {
    const { server, proxy } = await serverBehindProxy();
    await requests.post(`${server.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
    const cookie = (await requests.post(`${server.url}/sessions`, { data: { email: 'a@x.io', password: 'pw' } })).cookies.get('session_id')!;
    const before = server.output().length;
    await proxy.cut();
    const statuses = await Promise.all(Array.from({ length: 200 }, () => requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } }).then((response) => response.statusCode)));
    expect(statuses.every((status) => status === 503)).toBe(true);
    await proxy.restore();
    await expect.poll(async () => (await requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } })).statusCode, { timeout: 15_000 }).toBe(200);
    // The log reaches this process on its own pipe, maybe after the answer that follows it.
    const warnings = () => server.output().slice(before).split('\n').filter((line) => line.includes('"level":40'));
    await expect.poll(() => warnings().length, { timeout: 2_000 }).toBeGreaterThanOrEqual(2);
    const lines = warnings();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/"msg":"database unavailable: .*(ECONNRESET|ECONNREFUSED|terminated|closed)/);
    expect(lines[1]).toMatch(/"msg":"database available again after \d+\.\d s; \d+ operations failed meanwhile"/);
    expect(lines.join('')).not.toContain('"stack"');
  });

  it('exits 1 with a clear error when the database cannot be reached at start', async () => {
    const { url } = await createTestDatabase(engine).then((database) => (cleanups.push(() => database.drop()), database));
    const unreachable = new URL(url);
    unreachable.hostname = '127.0.0.1';
    unreachable.port = '9';
    unreachable.password = 's3cret-db-pass';
    const { code, stdout, stderr } = await runCli(['serve', '--port', '0', '--database', unreachable.toString()]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/"msg":"serve failed: .*ECONNREFUSED/);
    expect(stdout + stderr).not.toContain('s3cret-db-pass');
  });
});
