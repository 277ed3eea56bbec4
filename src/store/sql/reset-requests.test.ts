import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at } from '../../../test/support/rows.js';
import { tempDatabasePath } from '../../../test/support/test-config.js';
import { generateId } from '../../core/secrets.js';
import type { OutboxMessage } from '../../core/store.js';
import { openStore, type EngineStore } from '../open-store.js';

const message = (): OutboxMessage => ({ id: generateId(), payload: 'sealed', createdAt: at(0), attempts: 0, nextAttemptAt: at(0) });

let store: EngineStore;
// Another connection, to see the rows the store's port does not show.
let outside: Database.Database;
beforeEach(async () => {
  const path = tempDatabasePath();
  store = await openStore({ engine: 'sqlite', path });
  await store.migrate();
  outside = new Database(path, { readonly: true });
});
afterEach(async () => {
  outside.close();
  await store.close();
});

describe('a reset request for an unknown email', () => {
  it('writes over the one decoy row, as a known email writes over its token, and writes no token', async () => {
    const decoys = () => outside.prepare('select user_id, token_hash from reset_decoys').all();
    for (const request of [message(), message()]) {
      await store.saveResetRequest(null, request);
      expect(decoys()).toEqual([{ user_id: '', token_hash: createHash('sha256').update(request.id).digest('hex') }]);
    }
    expect(outside.prepare('select count(*) as count from reset_tokens').get()).toEqual({ count: 0 });
  });
});
