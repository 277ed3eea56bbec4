import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../../test/support/harness.js';
import { testConfig, testUiConfig } from '../../test/support/test-config.js';
import { PAGE_HEADERS } from './page-security.js';

let h: AppHarness;
afterEach(async () => h.close());

describe('the pages foundation', () => {
  it('serves nothing under /ui/ when SESAME_UI is off', async () => {
    h = await createAppHarness(testConfig({ http: { ui: null } }));
    const response = await h.app.inject('/ui/');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ message: 'not found' });
  });

  it('sends / to the log-in page, and answers an unknown page with an HTML 404 under the strict headers', async () => {
    h = await createAppHarness(testConfig({ http: { ui: testUiConfig() } }));
    const root = await h.app.inject('/ui/');
    expect(root.statusCode).toBe(303);
    expect(root.headers.location).toBe('/ui/login');
    const missing = await h.app.inject('/ui/nowhere');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.body).toContain('There is no page here.');
    for (const [name, value] of Object.entries(PAGE_HEADERS)) expect(missing.headers[name]).toBe(value);
    expect(missing.headers['cache-control']).toBe('no-store');
    expect(missing.headers['referrer-policy']).toBe('no-referrer');
  });

  it('answers a method a page does not take with an HTML 405 naming the ones it does', async () => {
    // With the reset pages, which a delivery by email or webhook brings.
    h = await createAppHarness(testConfig({ http: { ui: { ...testUiConfig(), hasPasswordReset: true } } }));
    const taken: ReadonlyArray<readonly [string, string]> = [
      ['/ui/', 'GET, HEAD'],
      ['/ui/login', 'GET, HEAD, POST'],
      ['/ui/signup', 'GET, HEAD, POST'],
      ['/ui/logout', 'POST'],
      ['/ui/forgot-password', 'GET, HEAD, POST'],
      ['/ui/reset-password', 'GET, HEAD, POST'],
      ['/ui/account', 'GET, HEAD'],
      ['/ui/account/password', 'POST'],
      ['/ui/account/sessions/end', 'POST'],
      ['/ui/account/sessions/end-others', 'POST'],
    ];
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
    for (const [url, allow] of taken) {
      for (const method of methods.filter((method) => !allow.split(', ').includes(method))) {
        const response = await h.app.inject({ method, url });
        expect(response.statusCode, `${method} ${url}`).toBe(405);
        expect(response.headers.allow).toBe(allow);
        expect(response.headers['content-security-policy']).toBe(PAGE_HEADERS['content-security-policy']);
        if (method !== 'HEAD') expect(response.body).toContain('This page cannot be used that way.');
      }
    }
    // A path no page has is still not there, whatever the method.
    expect((await h.app.inject({ method: 'PUT', url: '/ui/nowhere' })).statusCode).toBe(404);
  });

  it('serves the stylesheet under a name that follows its content, cacheable for a year', async () => {
    h = await createAppHarness(testConfig({ http: { ui: testUiConfig() } }));
    const page = await h.app.inject('/ui/nowhere');
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.body)?.[1];
    expect(href).toMatch(/^\/ui\/style\.[\w-]{12}\.css$/);
    const css = await h.app.inject(href!);
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(css.body).toContain('prefers-color-scheme:dark');
  });
});
