import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertConforms, type OpenApiDocument } from './support/openapi-conformance.js';
import { requests } from './support/requests-like.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { TEST_SECRETS, tempDatabasePath } from './support/test-config.js';

/**
 * DESIGN.md §6 under fire: thousands of malformed requests at every route of a listening
 * server. Any 5xx, a crash or a hang fails. The seed is fixed and the count bounded in CI;
 * SESAME_TEST_FUZZ_RUNS and SESAME_TEST_FUZZ_SEED run more, or another sequence.
 */
const RUNS = Number(process.env.SESAME_TEST_FUZZ_RUNS ?? 3000);
const SEED = Number(process.env.SESAME_TEST_FUZZ_SEED ?? 20261121);
const REQUEST_TIMEOUT_MS = 5_000;

let server: ServerProcess;
let cookie = '';
let accessToken = '';
let refreshToken = '';
// The pages' form token and the fuzz user's admin console session, so that fuzzed forms get past
// the CSRF guard and the console's sign-in check to the handlers behind them.
let formToken = '';
let consoleCookie = '';
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  server = await startServer({
    database: `sqlite:${tempDatabasePath()}`,
    env: {
      // A cheap hash keeps thousands of password checks quick; the code paths are the same.
      SESAME_ARGON2_MEMORY_KIB: '64',
      SESAME_ARGON2_ITERATIONS: '1',
      // Loose limits, so that most password checks, registrations and token checks reach the
      // hasher and the store rather than stopping at a 429; and the fuzzer's X-Forwarded-For is believed, so that the
      // address parsing is fuzzed too.
      SESAME_LIMIT_ACCOUNT_CLIENT_FAILURES: '100',
      SESAME_LIMIT_CLIENT_FAILURES: '1000000',
      SESAME_LIMIT_ACCOUNT_FREE_FAILURES: '100',
      SESAME_LIMIT_CLIENT_RESET_REQUESTS: '1000000',
      SESAME_LIMIT_RESET_REQUESTS: '1000000',
      SESAME_LIMIT_CLIENT_REGISTRATIONS: '1000000',
      SESAME_LIMIT_CLIENT_REFRESH_FAILURES: '1000000',
      SESAME_LIMIT_CLIENT_RESET_TOKEN_FAILURES: '1000000',
      SESAME_TRUST_PROXY: '127.0.0.1',
      // The admin API on the main listener, so that its routes are fuzzed too, with and without the token.
      SESAME_ADMIN_TOKEN: TEST_SECRETS.SESAME_ADMIN_TOKEN,
    },
  });
  await requests.post(`${server.url}/users`, { data: { email: 'fuzz@x.io', password: 'pw' } });
  cookie = `session_id=${(await requests.post(`${server.url}/sessions`, { data: { email: 'fuzz@x.io', password: 'pw' } })).cookies.get('session_id')}`;
  const tokens = (await requests.post(`${server.url}/token`, { data: { grant_type: 'password', username: 'fuzz@x.io', password: 'pw' } })).json() as {
    access_token: string;
    refresh_token: string;
  };
  accessToken = tokens.access_token;
  refreshToken = tokens.refresh_token;
  const cookieOf = (response: Response, name: string) => new RegExp(`${name}=([\\w-]+)`).exec(response.headers.getSetCookie().join('\n'))?.[1];
  formToken = cookieOf(await fetch(`${server.url}/ui/login`), 'sesame_form')!;
  const operator = await fetch(`${server.url}/admin/users/fuzz%40x.io`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${TEST_SECRETS.SESAME_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ claims: { admin: true } }),
  });
  expect(operator.status).toBe(200);
  const consoleLogIn = await fetch(`${server.url}/ui/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: `sesame_form=${formToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: 'fuzz@x.io', password: 'pw', form_token: formToken }).toString(),
  });
  consoleCookie = `sesame_console=${cookieOf(consoleLogIn, 'sesame_console')}`;
  expect(consoleCookie).toMatch(/^sesame_console=[\w-]+$/);
});

afterAll(async () => {
  agent.destroy();
  await server?.stop('SIGKILL');
});

const ROUTES = [
  '/',
  '/users',
  '/sessions',
  '/sessions/AAAAAAAAAAAAAAAAAAAAAA',
  '/profile',
  '/reset_password',
  '/password',
  '/token',
  '/revoke',
  '/introspect',
  '/.well-known/jwks.json',
  '/health',
  '/ready',
  '/openapi.json',
  '/admin/users',
  '/admin/users?limit=0&cursor=x&state=gone',
  '/admin/users/fuzz%40x.io',
  '/admin/users/AAAAAAAAAAAAAAAAAAAAAA',
  '/admin/users/fuzz%40x.io/password',
  '/admin/users/fuzz%40x.io/sessions',
  '/admin/users/fuzz%40x.io/sessions/AAAAAAAAAAAAAAAAAAAAAA',
  '/admin/users/fuzz%40x.io/unlock',
  '/ui/',
  '/ui/login',
  '/ui/login?return_to=https%3A%2F%2Fevil.example',
  '/ui/signup',
  '/ui/logout',
  '/ui/forgot-password',
  '/ui/reset-password?token=x&email=fuzz%40x.io',
  '/ui/account',
  '/ui/account/password',
  '/ui/account/sessions/end',
  '/ui/account/sessions/end-others',
  '/ui/admin/',
  '/ui/admin/login',
  '/ui/admin/logout',
  '/ui/admin/users?q=fuzz&cursor=x&trail=y',
  '/ui/admin/users/fuzz%40x.io',
  '/ui/admin/users/AAAAAAAAAAAAAAAAAAAAAA',
  '/ui/admin/users/AAAAAAAAAAAAAAAAAAAAAA/delete',
  '/ui/admin/users/AAAAAAAAAAAAAAAAAAAAAA/disable',
  '/ui/admin/users/AAAAAAAAAAAAAAAAAAAAAA/sessions/AAAAAAAAAAAAAAAAAAAAAA/end',
];
const FIELDS = [
  'email',
  'password',
  'new_password',
  'reset_token',
  'grant_type',
  'username',
  'refresh_token',
  'token',
  'token_type_hint',
  'scope',
  'form_token',
  'return_to',
  'session_id',
  'confirm',
  'disabled',
  'claims',
  '__proto__',
  'constructor',
  'prototype',
];

const QUERY_NAMES = ['notice', 'done', 'return_to', 'token', 'email', 'q', 'state', 'cursor', 'trail'];
const INHERITED_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

// Printable ASCII only: Node refuses to send anything else in a header.
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 80 });
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', 'fuzz@x.io', 'FUZZ@X.IO ', 'pw', 'password', 'refresh_token', '\u0000', '%00', 'é', '😀'.repeat(300), 'a'.repeat(5000)),
  fc.constant(null).map(() => refreshToken),
  fc.constant(null).map(() => accessToken),
  fc.constant(null).map(() => formToken),
);
const jsonValue = fc.oneof(nastyString, fc.jsonValue({ maxDepth: 3 }), fc.constant({ $gt: '' }), fc.constant(['a', 'b']));
const fieldName = fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 }));

const body = fc.oneof(
  fc.constant(undefined),
  // Form fields, sometimes repeated, sometimes broken percent-encoding.
  fc.array(fc.tuple(fieldName, nastyString), { maxLength: 6 }).map((pairs) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&')),
  fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom('%', '%zz', '%C3', '+', '&&', '=')), { maxLength: 6 }).map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('&')),
  // JSON objects with the right names and the wrong types, prototype keys, repeated keys, or not JSON at all.
  fc.dictionary(fieldName, jsonValue, { maxKeys: 6 }).map((object) => JSON.stringify(object)),
  fc.constantFrom('{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"email":"a","email":"b"}', '{', '[]', 'null', '"x"', '1e999', '{"email":{"$gt":""}}'),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.constant('x'.repeat(40_000)),
);

const contentType = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded; charset=latin1',
    'APPLICATION/JSON',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/json, text/plain',
    ';;;',
  ),
  headerText,
);

const httpCall = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  path: fc.oneof(
    fc.constantFrom(...ROUTES),
    fc.tuple(fc.constantFrom(...ROUTES), fc.constantFrom('/', '?', '?session_id=x', '//', '/..', '%2e', '%', '?a=%', '#x')).map(([route, suffix]) => route + suffix),
    // The pages' query parameters, given what every object inherits as well as anything else.
    fc
      .tuple(fc.constantFrom(...ROUTES), fc.array(fc.tuple(fc.constantFrom(...QUERY_NAMES), fc.oneof(fc.constantFrom(...INHERITED_NAMES), nastyString)), { minLength: 1, maxLength: 3 }))
      .map(([route, pairs]) => `${route.split('?')[0]}?${pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}`),
    fc.webPath(),
  ),
  contentType,
  body,
  cookie: fc.oneof(
    fc.constant(undefined),
    fc.constant(null).map(() => cookie),
    fc.constant(null).map(() => `${cookie}; sesame_form=${formToken}`),
    fc.constant(null).map(() => `${consoleCookie}; sesame_form=${formToken}`),
    headerText.map((text) => `session_id=${text}`),
    headerText,
  ),
  authorization: fc.oneof(
    fc.constant(undefined),
    fc.constant(null).map(() => `Bearer ${accessToken}`),
    fc.constant(`Bearer ${TEST_SECRETS.SESAME_ADMIN_TOKEN}`),
    headerText.map((text) => `Bearer ${text}`),
    headerText,
  ),
  origin: fc.option(fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1'), { nil: undefined }),
  forwardedFor: fc.option(
    fc.oneof(
      headerText,
      fc.ipV4(),
      fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV6().map((ip) => `[${ip}]:443`), fc.ipV4().map((ip) => `${ip}:80`), headerText), { maxLength: 4 }).map((hops) => hops.join(', ')),
    ),
    { nil: undefined },
  ),
});
type HttpCall = typeof httpCall extends fc.Arbitrary<infer T> ? T : never;

/** The request target a call is sent to. */
const targetOf = (call: HttpCall) => (call.path.startsWith('/') ? call.path : `/${call.path}`);

/** Sends one call; resolves with the status and body, or rejects on a hang past the timeout. */
function send(call: HttpCall): Promise<{ status: number; header: (name: string) => string | undefined; body: string }> {
  const url = new URL(server.url);
  const headers: Record<string, string> = {};
  if (call.contentType !== undefined) headers['content-type'] = call.contentType;
  if (call.cookie !== undefined) headers.cookie = call.cookie;
  if (call.authorization !== undefined) headers.authorization = call.authorization;
  if (call.origin !== undefined) headers.origin = call.origin;
  if (call.forwardedFor !== undefined) headers['x-forwarded-for'] = call.forwardedFor;
  // Node sends a GET, HEAD or DELETE body without framing unless told its length: the server
  // would rightly read it as the next request. Malformed framing is the raw test's business.
  if (call.body !== undefined) headers['content-length'] = String(Buffer.byteLength(call.body));
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: call.method, path: targetOf(call), headers, agent, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        const header = (name: string) => {
          const value = response.headers[name];
          return value === undefined ? undefined : String(value);
        };
        response.on('end', () => resolve({ status: response.statusCode ?? 0, header, body: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    outgoing.on('error', reject);
    outgoing.end(call.body);
  });
}

/** Writes raw bytes on a fresh connection; resolves with what came back once the server closes or goes quiet. */
function sendRaw(bytes: string): Promise<string> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes, 'latin1'));
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('connection hung')));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(answer) : reject(error)));
  });
}

describe('hostile input at every route', () => {
  it(`answers ${RUNS} malformed requests without a 5xx, a crash or a hang, each as its OpenAPI document says`, async () => {
    const document = (await requests.get(`${server.url}/openapi.json`)).json() as OpenApiDocument;
    await fc.assert(
      fc.asyncProperty(httpCall, async (call) => {
        const { status, header, body } = await send(call);
        assertConforms(document, { method: call.method, url: targetOf(call), status, header, body });
        expect(status, `${call.method} ${call.path}`).toBeGreaterThanOrEqual(200);
        expect(status, `${call.method} ${call.path}`).toBeLessThan(500);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).not.toMatch(/"level":50|request failed/);
  });

  it('answers malformed HTTP itself with a 4xx or a closed connection, and stays up', async () => {
    const garbage = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.tuple(fc.constantFrom('GET', 'POST', 'BREW', ''), fc.string({ maxLength: 50 }), fc.constantFrom('HTTP/1.1', 'HTTP/9.9', 'HTTP/1.1\r\nContent-Length: -1', 'HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz')).map(
        ([method, path, version]) => `${method} ${path} ${version}\r\n\r\n`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const answer = await sendRaw(bytes);
        expect(answer === '' || /^HTTP\/1\.1 [1-4]\d\d /.test(answer), answer.slice(0, 80)).toBe(true);
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 10) },
    );
    expect((await requests.get(`${server.url}/`)).statusCode).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });
});
