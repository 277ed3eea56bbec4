import type { TestProject } from 'vitest/node';
import { findAnsweringServers, selectTestStores, serverUrls, type ServerStore, type TestStore } from './test-stores.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The stores the suites run on (`selectTestStores`), decided once for every worker. */
    testStores: readonly TestStore[];
  }
}

/** Vitest's global setup: finds which database servers answer before any suite is collected, and says what that leaves out. */
export default async function probeServers(project: TestProject): Promise<void> {
  const urls = serverUrls(process.env);
  const answering = await findAnsweringServers(urls);
  const { stores, missing } = selectTestStores({ isCi: process.env.CI === 'true', named: process.env.SESAME_TEST_STORES, answering });
  const where = (store: ServerStore) => `${store} at ${new URL(urls[store]).host}`;
  for (const store of Object.keys(urls) as ServerStore[]) {
    if (missing.includes(store)) console.warn(`${where(store)} does not answer: its suites will fail (CI=true or SESAME_TEST_STORES requires it)`);
    else if (!stores.includes(store) && !answering.includes(store)) console.warn(`${where(store)} does not answer: its suites are skipped`);
    else if (!stores.includes(store)) console.warn(`${store} is left out by SESAME_TEST_STORES: its suites are skipped`);
  }
  project.provide('testStores', stores);
}
