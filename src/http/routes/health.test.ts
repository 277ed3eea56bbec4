import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../../../test/support/harness.js';

let h: AppHarness;
afterEach(async () => h.close());

describe('health and readiness', () => {
  it('is alive and ready while the store answers', async () => {
    h = await createAppHarness();
    expect((await h.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('stays alive but not ready when the store is gone', async () => {
    h = await createAppHarness();
    await h.store.close();
    expect((await h.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.json()).toEqual({ message: 'service unavailable, retry shortly' });
  });
});
