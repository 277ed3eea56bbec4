import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../../test/support/harness.js';
import { testConfig } from '../../test/support/test-config.js';

let h: AppHarness;
afterEach(async () => h.close());

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const PROXY = '10.0.0.2';

async function setUp(trustProxy: string[] = [], proxyHeader: 'x-forwarded-for' | 'forwarded' = 'x-forwarded-for'): Promise<AppHarness> {
  // Only the per-account-and-client limit is tight, so the client address decides.
  h = await createAppHarness(
    testConfig({ http: { trustProxy, proxyHeader }, auth: { limits: { accountClientFailures: 2, accountFreeFailures: 100, clientFailures: 1000 } } }),
  );
  await h.app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=a%40x.io&password=right' });
  return h;
}

function logIn(password: string, remoteAddress: string, headers: Record<string, string> = {}) {
  return h.app.inject({ method: 'POST', url: '/sessions', remoteAddress, headers: { ...form, ...headers }, payload: `email=a%40x.io&password=${password}` });
}

describe('the client address', () => {
  it('ignores X-Forwarded-For and Forwarded from a peer that is not a trusted proxy: rotating them changes nothing', async () => {
    await setUp();
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      const spoofed = { 'x-forwarded-for': `198.51.100.${index}`, forwarded: `for=198.51.100.${index}` };
      statuses.push((await logIn('wrong', '203.0.113.9', spoofed)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
  });

  it('believes a trusted proxy, as far back as each hop is trusted', async () => {
    await setUp([PROXY, '10.0.0.3']);
    const via = (client: string) => ({ 'x-forwarded-for': `6.6.6.6, ${client}, 10.0.0.3` });
    expect((await logIn('wrong', PROXY, via('198.51.100.1'))).statusCode).toBe(401);
    expect((await logIn('wrong', PROXY, via('198.51.100.1'))).statusCode).toBe(401);
    expect((await logIn('right', PROXY, via('198.51.100.1'))).statusCode).toBe(429);
    // The spoofed 6.6.6.6 is never reached: 198.51.100.1 is not a proxy.
    expect((await logIn('right', PROXY, via('198.51.100.2'))).statusCode).toBe(200);
  });

  it('strips the ports and brackets proxies add to X-Forwarded-For hops', async () => {
    await setUp([PROXY]);
    await logIn('wrong', PROXY, { 'x-forwarded-for': '198.51.100.7:5555' });
    await logIn('wrong', PROXY, { 'x-forwarded-for': '198.51.100.7:6666' });
    expect((await logIn('right', PROXY, { 'x-forwarded-for': '198.51.100.7' })).statusCode).toBe(429);
    expect((await logIn('right', PROXY, { 'x-forwarded-for': '[2001:db8::1]:443' })).statusCode).toBe(200);
  });

  it('reads only the configured header: a client cannot pick its address with the other one', async () => {
    await setUp([PROXY]);
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      statuses.push((await logIn('wrong', PROXY, { 'x-forwarded-for': '198.51.100.7', forwarded: `for=203.0.113.${index}` })).statusCode);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
  });

  it('reads RFC 7239 Forwarded when configured to', async () => {
    await setUp([PROXY], 'forwarded');
    const via = (client: string) => ({ forwarded: `for="[2001:db8:cafe::17]:4711";proto=https, for=${client}`, 'x-forwarded-for': `203.0.113.${Math.random()}` });
    await logIn('wrong', PROXY, via('198.51.100.7'));
    await logIn('wrong', PROXY, via('198.51.100.7'));
    expect((await logIn('right', PROXY, via('198.51.100.7'))).statusCode).toBe(429);
    expect((await logIn('right', PROXY, via('198.51.100.8'))).statusCode).toBe(200);
  });
  it('keeps the proxy as the client when its Forwarded element names no client, rather than an empty address', async () => {
    await setUp([PROXY], 'forwarded');
    await logIn('right', PROXY, { forwarded: 'proto=https' });
    expect(h.audited.at(-1)).toMatchObject({ event: 'login_succeeded', client: PROXY });
  });
});

describe('refusals by the attempt limits', () => {
  it('answer 429 with Retry-After and a body in each route family\'s shape that says nothing about the account', async () => {
    await setUp();
    for (const email of ['a%40x.io', 'nobody%40x.io']) {
      const bodies: unknown[] = [];
      for (let index = 0; index < 3; index += 1) {
        const session = await h.app.inject({ method: 'POST', url: '/sessions', headers: form, payload: `email=${email}&password=wrong` });
        bodies.push(session.statusCode === 429 ? [session.headers['retry-after'], session.json()] : session.statusCode);
      }
      const token = await h.app.inject({ method: 'POST', url: '/token', headers: form, payload: `grant_type=password&username=${email}&password=wrong` });
      expect(bodies).toEqual([401, 401, ['900', { message: 'too many attempts, retry later' }]]);
      expect(token.statusCode).toBe(429);
      expect(token.headers['retry-after']).toBe('900');
      expect(token.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'too many attempts, retry later' });
    }
  });

  it('answer a wrong current password at PUT /password with 401, then 429', async () => {
    await setUp();
    const login = await logIn('right', '127.0.0.1');
    const cookie = `session_id=${login.cookies[0]!.value}`;
    const change = () => h.app.inject({ method: 'PUT', url: '/password', headers: { ...form, cookie }, payload: 'password=wrong&new_password=x' });
    expect([(await change()).statusCode, (await change()).statusCode, (await change()).statusCode]).toEqual([401, 401, 429]);
  });
});
