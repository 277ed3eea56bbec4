import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { at } from '../../../test/support/rows.js';
import { generateId } from '../../core/secrets.js';
import type { OutboxMessage } from '../../core/store.js';
import { sqliteBesideReader } from '../../../test/support/sqlite-beside.js';

const message = (): OutboxMessage => ({ id: generateId(), payload: 'sealed', createdAt: at(0), attempts: 0, nextAttemptAt: at(0) });

const sqlite = sqliteBesideReader();

describe('a reset request for an unknown email', () => {
  it('writes over the one decoy row, as a known email writes over its token, and writes no token', async () => {
    const decoys = () => sqlite.outside.prepare('select user_id, token_hash from reset_decoys').all();
    for (const request of [message(), message()]) {
      await sqlite.store.saveResetRequest(null, request);
      expect(decoys()).toEqual([{ user_id: '', token_hash: createHash('sha256').update(request.id).digest('hex') }]);
    }
    expect(sqlite.outside.prepare('select count(*) as count from reset_tokens').get()).toEqual({ count: 0 });
  });
});
