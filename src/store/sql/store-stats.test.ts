import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, describeEngines, TEST_ENGINES, type TestDatabase } from '../../../test/support/databases.js';
import { at } from '../../../test/support/rows.js';
import { generateId } from '../../core/secrets.js';
import { openStore, type EngineStore } from '../open-store.js';

let opened: { database: TestDatabase; store: EngineStore } | undefined;
afterEach(async () => {
  await opened?.store.close();
  await opened?.database.drop();
  opened = undefined;
});

describeEngines(TEST_ENGINES, 'what the %s store tells the metrics', (engine) => {
  it('counts the outbox backlog and dates its oldest message, with the pool in use where the driver says', async () => {
    const database = await createTestDatabase(engine);
    const store = await openStore(database.config);
    opened = { database, store };
    await store.migrate();
    expect((await store.stats()).outbox).toEqual({ waiting: 0, oldestCreatedAt: null });
    for (const createdAt of [at(5000), at(1000), at(9000)]) {
      await store.saveResetRequest(null, { id: generateId(), payload: 'sealed', createdAt, attempts: 0, nextAttemptAt: createdAt });
    }
    const stats = await store.stats();
    expect(stats.outbox).toEqual({ waiting: 3, oldestCreatedAt: at(1000) });
    if (engine !== 'sqlite') expect(stats.poolInUse).toBe(0);
    else expect(stats.poolInUse).toBeNull();
    if (engine === 'sqlite') expect(stats.sessionCache).toEqual({ hits: expect.any(Number) as unknown, misses: expect.any(Number) as unknown });
    else expect(stats.sessionCache).toBeNull();
  });
});
