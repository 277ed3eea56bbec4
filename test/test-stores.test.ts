import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findAnsweringServers, selectTestStores } from './support/test-stores.js';

describe('the stores the suites run on', () => {
  it('are SQLite and the servers that answer, on a machine left to itself', () => {
    expect(selectTestStores({ isCi: false, named: undefined, answering: [] })).toEqual({ stores: ['sqlite'], missing: [] });
    expect(selectTestStores({ isCi: false, named: undefined, answering: ['redis', 'postgres'] })).toEqual({
      stores: ['sqlite', 'postgres', 'redis'],
      missing: [],
    });
  });

  it('are every store under CI=true, whatever answers or SESAME_TEST_STORES says: a server that is down is missing', () => {
    expect(selectTestStores({ isCi: true, named: 'sqlite', answering: ['mysql'] })).toEqual({
      stores: ['sqlite', 'postgres', 'mysql', 'redis'],
      missing: ['postgres', 'redis'],
    });
  });

  it('are exactly those SESAME_TEST_STORES names, a server among them that is down included', () => {
    expect(selectTestStores({ isCi: false, named: 'sqlite, postgres', answering: ['mysql', 'redis'] })).toEqual({
      stores: ['sqlite', 'postgres'],
      missing: ['postgres'],
    });
    expect(() => selectTestStores({ isCi: false, named: 'sqlite,oracle', answering: [] })).toThrow('SESAME_TEST_STORES names an unknown store: oracle');
  });

  it('count a server as answering when its address accepts a connection', async () => {
    const listening = createServer();
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const open = (listening.address() as { port: number }).port;
    const closing = createServer();
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    const closed = (closing.address() as { port: number }).port;
    await new Promise((resolve) => closing.close(resolve));
    try {
      const answering = await findAnsweringServers({
        postgres: `postgres://postgres@127.0.0.1:${closed}/postgres`,
        mysql: `mysql://root@127.0.0.1:${closed}`,
        redis: `redis://127.0.0.1:${open}`,
      });
      expect(answering).toEqual(['redis']);
    } finally {
      await new Promise((resolve) => listening.close(resolve));
    }
  });
});
