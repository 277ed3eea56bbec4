import { afterEach, describe, expect, it } from 'vitest';
import { deferred } from '../../test/support/deferred.js';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { createAuth } from './auth.js';
import type { Store } from './store.js';

const client = { address: '203.0.113.7' };

let h: Harness;
afterEach(async () => h.close());

/** The store, with `findSessionById` held at a gate after it has read: to interleave another request. */
function holdingReads(store: Store, gate: Promise<void>): Store {
  return new Proxy(store, {
    get(target, property: keyof Store) {
      if (property === 'findSessionById') {
        return async (sessionId: string) => {
          const session = await target.findSessionById(sessionId);
          await gate;
          return session;
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('the refresh grant under races', () => {
  it('issues nothing for a parent within the grace window when the session ended after it was read', async () => {
    h = await createHarness();
    const { auth, store, deps } = h;
    await auth.register('a@x.io', 'pw', client);
    const first = await auth.grantTokens('a@x.io', 'pw', client);
    const second = await auth.refreshTokens(first.refreshToken, client);

    const gate = deferred();
    const slow = createAuth({ ...deps, store: holdingReads(store, gate.promise) });
    const retry = slow.refreshTokens(first.refreshToken, client);
    await auth.revokeToken(second.refreshToken, client);
    gate.resolve();
    await expect(retry).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('issues nothing to a refresh that read the session before a password change ended it', async () => {
    h = await createHarness();
    const { auth, store, deps } = h;
    await auth.register('a@x.io', 'pw', client);
    const pair = await auth.grantTokens('a@x.io', 'pw', client);
    const other = await auth.grantTokens('a@x.io', 'pw', client);

    const gate = deferred();
    const slow = createAuth({ ...deps, store: holdingReads(store, gate.promise) });
    const refresh = slow.refreshTokens(pair.refreshToken, client);
    const principal = await auth.validateAccessToken(other.accessToken);
    await auth.changePassword(principal!, 'pw', 'new', client);
    gate.resolve();
    await expect(refresh).rejects.toMatchObject({ code: 'invalid_grant' });
  });
});
