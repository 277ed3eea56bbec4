import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, sessionCookieOf, type AppHarness } from '../test/support/harness.js';
import { testConfig } from '../test/support/test-config.js';

let h: AppHarness;
afterEach(async () => h.close());

describe('buildApp', () => {
  it('answers 408 and closes a client still trickling its headers 10 s on, about a second after that at most (slowloris)', async () => {
    h = await createAppHarness();
    expect(h.app.server.requestTimeout).toBe(15_000);
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let raw = '';
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    const startedAt = performance.now();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 1000);
    const closedAfterMs = await new Promise<number | null>((resolve) => {
      const deadline = setTimeout(() => resolve(null), 15_000);
      socket.on('close', () => {
        clearTimeout(deadline);
        resolve(performance.now() - startedAt);
      });
    });
    clearInterval(trickle);
    socket.destroy();
    expect(closedAfterMs, 'still open after 15 s').not.toBeNull();
    expect(closedAfterMs).toBeGreaterThanOrEqual(10_000);
    // A sweep a second, and some room for a loaded machine.
    expect(closedAfterMs).toBeLessThan(12_000);
    expect(raw).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);

  it('describes every route of the API in OpenAPI 3.1, bodies as form or JSON', async () => {
    h = await createAppHarness();
    const response = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths['/users']!)).toEqual(['post']);
    expect(Object.keys(document.paths['/sessions']!).sort()).toEqual(['delete', 'get', 'post']);
    expect(Object.keys(document.paths['/sessions/{id}']!)).toEqual(['delete']);
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
    expect(Object.keys(document.paths['/reset_password']!).sort()).toEqual(['post', 'put']);
    expect(Object.keys(document.paths['/users']!.post!.requestBody!.content).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
  });

  it('serves and describes exactly the API families SESAME_APIS enables', async () => {
    const pathsOf = async (apis: Parameters<typeof testConfig>[0]) => {
      h = await createAppHarness(testConfig(apis));
      const paths = Object.keys((await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: object }>().paths).sort();
      await h.close();
      return paths;
    };
    const always = ['/.well-known/jwks.json', '/health', '/ready'];
    const session = ['/', '/password', '/profile', '/reset_password', '/sessions', '/sessions/{id}', '/users'];
    const token = ['/.well-known/oauth-authorization-server', '/introspect', '/revoke', '/token'];
    const pja = ['/auth/login', '/auth/logout', '/auth/ping', '/auth/signup', '/auth/user'];
    const course = ['/login', '/logout', '/refresh', '/register', '/user/{id}'];
    const served = (await pathsOf({})).filter((path) => !always.includes(path));
    expect(served).toEqual([...session, ...token].sort());
    expect(await pathsOf({ http: { apis: ['token'] } })).toEqual([...always, ...token].sort());
    expect(await pathsOf({ http: { apis: ['python-jwt-auth', 'flask-jwt-course'] } })).toEqual([...always, ...pja, ...course].sort());
    h = await createAppHarness(testConfig({ http: { apis: ['token'] } }));
    expect((await h.app.inject({ method: 'GET', url: '/profile' })).statusCode).toBe(404);
  });

  it('lists, for every operation, every status it can answer, an internal error and unavailability included', async () => {
    h = await createAppHarness(testConfig({ http: { apis: ['session', 'token', 'python-jwt-auth', 'flask-jwt-course'] } }));
    const document = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      info: { version: string };
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, { required?: boolean }>; content?: object }> }>>;
    }>();
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(document.info.version).toBe(version);
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, { responses }] of Object.entries(operations)) {
        expect(Object.keys(responses), `${method} ${path}`).toEqual(expect.arrayContaining(['500', '503']));
        expect(responses['503']!.headers?.['retry-after']?.required, `${method} ${path}`).toBe(true);
      }
    }
    const logOut = document.paths['/sessions']!.delete!.responses;
    expect(Object.keys(logOut).sort()).toEqual(['204', '302', '400', '401', '403', '413', '415', '500', '503']);
    expect(logOut['302']!.headers?.location?.required).toBe(true);
    expect(logOut['302']!.content).toBeUndefined();
    expect(logOut['204']!.content).toBeUndefined();
    for (const [path, method] of [['/users', 'post'], ['/sessions', 'post'], ['/reset_password', 'post'], ['/reset_password', 'put'], ['/password', 'put'], ['/token', 'post']] as const) {
      expect(Object.keys(document.paths[path]![method]!.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['400', '413', '415', '429']));
    }
  });

  it('points GET / at the docs page and the document, its status and body those of the contract', async () => {
    h = await createAppHarness();
    const welcome = await h.app.inject({ method: 'GET', url: '/' });
    expect(welcome.statusCode).toBe(200);
    expect(welcome.json()).toEqual({ message: 'Bienvenue' });
    expect(welcome.headers.link).toBe('</docs>; rel="service-doc", </openapi.json>; rel="service-desc"; type="application/json"');
  });

  it('renders the document at /docs from its own assets, under a policy that loads nothing from elsewhere', async () => {
    h = await createAppHarness();
    const page = await h.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self';/);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const assets = [...page.payload.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url!);
    expect(assets.length).toBeGreaterThanOrEqual(5);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/docs\/static\//);
      const answer = await h.app.inject({ method: 'GET', url: asset });
      expect(answer.statusCode, asset).toBe(200);
    }
    const initializer = await h.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.payload).toContain('validatorUrl: null');
    const shown = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(shown.json()).toEqual((await h.app.inject({ method: 'GET', url: '/openapi.json' })).json());
    // The API's own answers keep their headers: the page's policy is the page's alone.
    expect((await h.app.inject({ method: 'GET', url: '/' })).headers['content-security-policy']).not.toBe(page.headers['content-security-policy']);
  });

  it('has no docs page when SESAME_DOCS_PAGE is off, and still serves the document', async () => {
    h = await createAppHarness(testConfig({ http: { hasDocsPage: false } }));
    expect((await h.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/' })).headers.link).toBe('</openapi.json>; rel="service-desc"; type="application/json"');
  });

  it('answers a malformed URL in the message shape', async () => {
    h = await createAppHarness();
    const response = await h.app.inject({ method: 'GET', url: '/%' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'malformed request URL' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers a request HTTP cannot parse in the message shape', async () => {
    h = await createAppHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    const raw = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw.endsWith('\r\n\r\n{"message":"malformed request"}')).toBe(true);
  });

  it('answers a request that completes while it closes with a 503 in the message shape', async () => {
    // A slow client: half its headers are in when the shutdown begins.
    const raw = await sendAcrossClose('GET / HTTP/1.1\r\nHost: x\r\n', '\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(raw).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(raw.endsWith('{"message":"shutting down, retry shortly"}')).toBe(true);
  });

  it('answers a token request that completes while it closes with a 503 in the OAuth shape', async () => {
    const body = 'grant_type=password&username=a%40x.io&password=pw';
    const raw = await sendAcrossClose(`POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n`, `\r\n${body}`);
    expect(raw).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(raw).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(raw.endsWith('{"error":"temporarily_unavailable","error_description":"shutting down, retry shortly"}')).toBe(true);
  });

  it('asks the client to close a kept-alive connection whose answer was in flight when closing began', async () => {
    // The request is routed when its head is in; its body comes only once the shutdown has begun.
    // Kept alive, the connection would hold the close for Fastify's 72 s keep-alive timeout.
    const body = 'email=late%40x.io&password=pw';
    const head = `POST /users HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
    const raw = await sendAcrossClose(head, body);
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toMatch(/\r\nconnection: close\r\n/i);
    expect(raw.endsWith('{"email":"late@x.io","message":"user created"}')).toBe(true);
  });
});

/**
 * Sends `before` on a raw connection to a listening app, starts closing the app, sends
 * `after`, and resolves with everything the server wrote once it has closed both the
 * connection and itself.
 */
async function sendAcrossClose(before: string, after: string): Promise<string> {
  h = await createAppHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  let raw = '';
  socket.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  const ended = new Promise((resolve) => socket.on('close', resolve));
  await new Promise<void>((resolve) => socket.write(before, () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const closing = h.app.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
  socket.write(after);
  await Promise.all([ended, closing]);
  return raw;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('security headers', () => {
  it('mark every answer nosniff, no-referrer and no-store, and never say what serves them', async () => {
    h = await createAppHarness();
    await h.app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=a%40x.io&password=pw' });
    const answers = await Promise.all([
      h.app.inject({ method: 'GET', url: '/' }),
      h.app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=pw' }),
      h.app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=no' }),
      h.app.inject({ method: 'POST', url: '/token', headers: form, payload: 'grant_type=password&username=a%40x.io&password=pw' }),
      h.app.inject({ method: 'GET', url: '/profile' }),
      h.app.inject({ method: 'GET', url: '/nowhere' }),
      h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }),
    ]);
    for (const answer of answers) {
      expect(answer.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
      expect(answer.headers['x-powered-by']).toBeUndefined();
      expect(answer.headers.server).toBeUndefined();
      // Plain http, or no trusted proxy to say otherwise: no HSTS, no Secure cookie.
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    }
    expect(answers[1].headers['set-cookie']).not.toMatch(/Secure/i);
  });

  it('mark error answers too: refused bodies, unknown routes, failures and the framework\'s own', async () => {
    h = await createAppHarness();
    // Its 500 is listed, so the OpenAPI check of every answer lets it through.
    const failure = { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] };
    h.app.get('/fails', { schema: { response: { 500: failure } } }, () => {
      throw new Error('boom');
    });
    const answers = await Promise.all([
      h.app.inject({ method: 'GET', url: '/%' }),
      h.app.inject({ method: 'GET', url: '/nowhere' }),
      h.app.inject({ method: 'GET', url: '/fails' }),
      h.app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=a%40x.io' }),
      h.app.inject({ method: 'POST', url: '/users', headers: form, payload: 'x'.repeat(40_000) }),
      h.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'text/plain' }, payload: 'x' }),
      h.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: '{' }),
      h.app.inject({ method: 'POST', url: '/token', headers: form, payload: 'grant_type=nope' }),
    ]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([400, 404, 500, 400, 413, 415, 400, 400]);
    for (const answer of answers) {
      expect(answer.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    }
  });

  it.each([
    ['a request HTTP cannot parse', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 400],
    ['headers too large', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`, 431],
  ])('mark the answer to %s, written before any route, with the same headers', async (_case, request, status) => {
    h = await createAppHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    const raw = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toContain('\r\nx-content-type-options: nosniff\r\n');
    expect(head).toContain('\r\nreferrer-policy: no-referrer\r\n');
    expect(head).toContain('\r\ncache-control: no-store');
  });

  it.each([
    ['with the client address', { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'https' }],
    ['from X-Forwarded-Proto alone', { 'x-forwarded-proto': 'https' }],
  ])('send HSTS and a Secure cookie when a trusted proxy says the client used https (%s), and only then', async (_case, proxyHeaders) => {
    h = await createAppHarness(testConfig({ http: { trustProxy: ['10.0.0.2'] } }));
    await h.app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=a%40x.io&password=pw' });
    const logIn = (remoteAddress: string) =>
      h.app.inject({ method: 'POST', url: '/sessions', remoteAddress, headers: { ...form, ...proxyHeaders }, payload: 'email=a%40x.io&password=pw' });
    const proxied = await logIn('10.0.0.2');
    expect(proxied.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(proxied.headers['set-cookie']).toMatch(/; Secure/);
    const spoofed = await logIn('203.0.113.9');
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
    expect(spoofed.headers['set-cookie']).not.toMatch(/Secure/i);
  });

  it('read https from the Forwarded proto when that is the configured header', async () => {
    h = await createAppHarness(testConfig({ http: { trustProxy: ['10.0.0.2'], proxyHeader: 'forwarded' } }));
    const answer = await h.app.inject({ method: 'GET', url: '/', remoteAddress: '10.0.0.2', headers: { forwarded: 'for=198.51.100.1;proto=https' } });
    expect(answer.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('ask the browser to drop its cookies at a cookie log-out', async () => {
    h = await createAppHarness();
    await h.app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=a%40x.io&password=pw' });
    const login = await h.app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=pw' });
    const logout = await h.app.inject({ method: 'DELETE', url: '/sessions', headers: { cookie: `session_id=${sessionCookieOf(login)}` } });
    expect(logout.statusCode).toBe(302);
    expect(logout.headers['clear-site-data']).toBe('"cookies"');
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    h.app.inject({
      method: 'OPTIONS',
      url: '/sessions',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

  it('is off unless origins are listed: no Access-Control header for anyone', async () => {
    h = await createAppHarness();
    const answer = await h.app.inject({ method: 'GET', url: '/', headers: { origin: 'https://app.example.com' } });
    expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect((await preflight('https://app.example.com')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('echoes a listed origin exactly, with credentials and Vary: Origin, and never a wildcard', async () => {
    h = await createAppHarness(testConfig({ http: { corsOrigins: ['https://app.example.com'] } }));
    const allowed = await preflight('https://app.example.com');
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
    });
    expect(allowed.headers.vary).toMatch(/Origin/);
    const simple = await h.app.inject({ method: 'GET', url: '/', headers: { origin: 'https://app.example.com' } });
    expect(simple.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(simple.headers.vary).toMatch(/Origin/);
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'http://app.example.com', 'null']) {
      const refused = await h.app.inject({ method: 'GET', url: '/', headers: { origin } });
      // Without Access-Control-Allow-Origin the browser hides the answer, credentials or not.
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      expect(refused.headers.vary).toMatch(/Origin/);
      expect((await preflight(origin)).headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});
