import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../../../test/support/harness.js';
import { testConfig } from '../../../test/support/test-config.js';
import { issuerUrl } from './server-metadata.js';

let harness: AppHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const PATH = '/.well-known/oauth-authorization-server';

async function appWith(issuer: string, isIntrospectionOpen = true): Promise<AppHarness> {
  harness = await createAppHarness(testConfig({ http: { authorizationServer: { issuer, isIntrospectionOpen } } }));
  return harness;
}

describe('the RFC 8414 authorization server metadata', () => {
  it("names the token API's endpoints under SESAME_ISSUER, whatever Host or forwarding headers the request carries", async () => {
    const { app } = await appWith('https://id.example.com/auth/');
    const honest = await app.inject({ method: 'GET', url: PATH });
    const lying = await app.inject({
      method: 'GET',
      url: PATH,
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', forwarded: 'host=evil.example' },
    });
    expect(honest.statusCode).toBe(200);
    expect(lying.body).toBe(honest.body);
    const metadata = honest.json<Record<string, unknown>>();
    expect(metadata).toEqual({
      issuer: 'https://id.example.com/auth/',
      token_endpoint: 'https://id.example.com/auth/token',
      jwks_uri: 'https://id.example.com/auth/.well-known/jwks.json',
      revocation_endpoint: 'https://id.example.com/auth/revoke',
      introspection_endpoint: 'https://id.example.com/auth/introspect',
      grant_types_supported: ['password', 'refresh_token'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      introspection_endpoint_auth_methods_supported: ['none'],
    });
  });

  it("names the issuer exactly as access tokens' iss does", async () => {
    const { app, auth, config } = await appWith('https://sesame.test');
    await auth.register('a@x.io', 'pw', { address: '192.0.2.1' });
    const { accessToken } = await auth.grantTokens('a@x.io', 'pw', { address: '192.0.2.1' });
    const iss = (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { iss: string }).iss;
    expect(iss).toBe(config.auth.issuer);
    expect((await app.inject({ method: 'GET', url: PATH })).json<{ issuer: string }>().issuer).toBe(iss);
  });

  it('leaves out how /introspect is authenticated when it takes a bearer token, which RFC 8414 has no name for', async () => {
    const { app } = await appWith('https://sesame.test', false);
    const metadata = (await app.inject({ method: 'GET', url: PATH })).json<Record<string, unknown>>();
    expect(metadata).not.toHaveProperty('introspection_endpoint_auth_methods_supported');
    expect(metadata.introspection_endpoint).toBe('https://sesame.test/introspect');
  });

  it('comes without an OpenID discovery document: Sesame is not an OpenID provider (README)', async () => {
    const { app } = await appWith('https://id.example.com');
    expect((await app.inject({ method: 'GET', url: PATH })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).statusCode).toBe(404);
  });

  it('is not served when the issuer is not a URL RFC 8414 allows', async () => {
    const { app } = await appWith('sesame');
    expect((await app.inject({ method: 'GET', url: PATH })).statusCode).toBe(404);
  });

  it('is described in the OpenAPI document', async () => {
    const { app } = await appWith('https://sesame.test');
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(document.paths).toHaveProperty([PATH]);
  });
});

describe('an issuer URL', () => {
  it('is https, or http on a loopback host, without a query or a fragment', () => {
    expect(issuerUrl('https://id.example.com')).toBe('https://id.example.com');
    expect(issuerUrl('https://id.example.com/tenant/')).toBe('https://id.example.com/tenant');
    expect(issuerUrl('http://localhost:5000')).toBe('http://localhost:5000');
    expect(issuerUrl('http://127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    for (const refused of ['sesame', 'http://id.example.com', 'https://id.example.com/?a=b', 'https://id.example.com/#x', 'https://id.example.com?', 'ftp://id.example.com']) {
      expect(issuerUrl(refused)).toBeNull();
    }
  });
});
