import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkedFetch } from './support/openapi-conformance.js';
import { runCli, startServer, type ServerProcess } from './support/server-process.js';
import { TEST_SECRETS, tempDatabasePath } from './support/test-config.js';

const TOKEN = TEST_SECRETS.SESAME_ADMIN_TOKEN;
const withToken = { authorization: `Bearer ${TOKEN}` };

/** The admin listener's URL, once the server has logged it (after the main listener's). */
async function adminUrlOf(server: ServerProcess): Promise<string> {
  for (let waited = 0; waited < 5000; waited += 50) {
    const match = /"listener":"admin"[^\n]*"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(server.output());
    if (match) return match[1]!;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the admin listener did not start:\n${server.output()}`);
}

const json = (body: object) => ({ headers: { ...withToken, 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The built service with SESAME_ADMIN_LISTEN: two ports, /admin only on the second. */
describe('sesame serve with an admin listener', () => {
  const running: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
  });

  it('serves /metrics there, counting what both listeners answered, and never on the main port', async () => {
    const metricsToken = '3f5e0c0d8a1b4f7e9c2d6a8b0e1f3a5c7d9e1b3f5a7c9e1d';
    const server = await startServer({
      database: `sqlite:${tempDatabasePath()}`,
      env: { SESAME_ADMIN_LISTEN: '127.0.0.1:0', SESAME_ADMIN_TOKEN: TOKEN, SESAME_METRICS_TOKEN: metricsToken, SESAME_BUILD_COMMIT: 'abc1234' },
    });
    running.push(server);
    const admin = await adminUrlOf(server);
    const scraper = { authorization: `Bearer ${metricsToken}` };
    expect((await fetch(`${server.url}/metrics`, { headers: scraper })).status).toBe(404);
    expect((await fetch(`${admin}/metrics`)).status).toBe(401);
    await fetch(`${server.url}/sessions`, { method: 'POST', body: new URLSearchParams({ email: 'nobody@x.io', password: 'wrong' }) });
    const scraped = await fetch(`${admin}/metrics`, { headers: scraper });
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(text).toMatch(/^sesame_auth_outcomes_total\{flow="login",outcome="refused",reason="invalid_credentials"\} 1$/m);
    expect(text).toMatch(/^sesame_http_requests_total\{method="GET",route="\/metrics",status_class="4xx"\} 1$/m);
    expect(text).toMatch(/^sesame_build_info\{version="[^"]+",commit="abc1234",engine="sqlite",profile="compat"\} 1$/m);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).not.toContain(metricsToken);
  });

  it('serves /admin only there, with the token, and a change made there holds on the main port at the next request', async () => {
    const server = await startServer({
      database: `sqlite:${tempDatabasePath()}`,
      env: { SESAME_ADMIN_LISTEN: '127.0.0.1:0', SESAME_ADMIN_TOKEN: TOKEN },
    });
    running.push(server);
    const admin = await adminUrlOf(server);
    expect(admin).not.toBe(server.url);

    const onMain = await checkedFetch(`${server.url}/admin/users`, { headers: withToken });
    expect(onMain.status).toBe(404);
    expect(await onMain.json()).toEqual({ message: 'not found' });
    const withoutToken = await fetch(`${admin}/admin/users`);
    expect(withoutToken.status).toBe(401);
    expect(withoutToken.headers.get('www-authenticate')).toBe('Bearer realm="sesame-admin"');
    expect((await fetch(`${admin}/admin/users`, { headers: { authorization: `Bearer ${TOKEN.replace(/.$/, 'x')}` } })).status).toBe(401);
    expect((await fetch(`${admin}/profile`)).status).toBe(404);

    const created = await fetch(`${admin}/admin/users`, { method: 'POST', ...json({ email: 'ann@x.io', password: 'pw' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const login = await checkedFetch(`${server.url}/sessions`, { method: 'POST', body: new URLSearchParams({ email: 'ann@x.io', password: 'pw' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await checkedFetch(`${server.url}/profile`, { headers: { cookie } })).status).toBe(200);

    const disabled = await fetch(`${admin}/admin/users/${id}`, { method: 'PATCH', ...json({ disabled: true }) });
    expect(disabled.status).toBe(200);
    expect((await checkedFetch(`${server.url}/profile`, { headers: { cookie } })).status).toBe(403);

    // Both listeners close on SIGTERM, and the token was never written out.
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).not.toContain(TOKEN);
    expect(server.output()).toContain('"msg":"stopped"');
  });

  it('warns at start when the admin listener needs no token', async () => {
    const server = await startServer({ database: `sqlite:${tempDatabasePath()}`, env: { SESAME_ADMIN_LISTEN: '127.0.0.1:0' } });
    running.push(server);
    const admin = await adminUrlOf(server);
    expect(server.output()).toContain('SESAME_ADMIN_TOKEN is not set: any process on this machine may manage users through the admin listener');
    expect((await fetch(`${admin}/admin/users`)).status).toBe(200);
  });

  it('exits 1 when the admin listener cannot listen, as when the main one cannot', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const { code, stdout, stderr } = await runCli(['serve', '--port', '0', '--database', `sqlite:${tempDatabasePath()}`], {
        SESAME_ADMIN_LISTEN: `127.0.0.1:${port}`,
        SESAME_ADMIN_TOKEN: TOKEN,
      });
      expect(code).toBe(1);
      expect(stdout + stderr).toMatch(/serve failed: listen EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('refuses to start with an admin listener others can reach and no token', async () => {
    const { code, stderr } = await runCli(['serve'], { SESAME_ADMIN_LISTEN: '0.0.0.0:5001', SESAME_DATABASE_URL: `sqlite:${tempDatabasePath()}` });
    expect(code).toBe(2);
    expect(stderr).toContain('SESAME_ADMIN_LISTEN: 0.0.0.0:5001 can be reached from other hosts, so the admin API there needs SESAME_ADMIN_TOKEN');
  });
});
