import { connect } from 'node:net';

/** What the suites can run on: the engines and Redis. */
export const ALL_STORES = ['sqlite', 'postgres', 'mysql', 'redis'] as const;
export type TestStore = (typeof ALL_STORES)[number];
export type ServerStore = Exclude<TestStore, 'sqlite'>;

/** Each server's address: the machine's own, unless SESAME_TEST_<STORE>_URL says otherwise. */
export function serverUrls(env: NodeJS.ProcessEnv): Record<ServerStore, string> {
  return {
    postgres: env.SESAME_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    mysql: env.SESAME_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
    redis: env.SESAME_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

const DEFAULT_PORTS: Record<ServerStore, number> = { postgres: 5432, mysql: 3306, redis: 6379 };
// A server on this machine or the next answers a connection in milliseconds.
const PROBE_TIMEOUT_MS = 1000;

/** The servers that accept a connection at their address, probed together. */
export async function findAnsweringServers(urls: Record<ServerStore, string>): Promise<ServerStore[]> {
  const stores = Object.keys(urls) as ServerStore[];
  const answers = await Promise.all(stores.map((store) => isAccepting(new URL(urls[store]), DEFAULT_PORTS[store])));
  return stores.filter((_store, i) => answers[i]);
}

function isAccepting(url: URL, defaultPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || defaultPort), timeout: PROBE_TIMEOUT_MS });
    const answer = (isAnswering: boolean) => {
      socket.destroy();
      resolve(isAnswering);
    };
    socket.once('connect', () => answer(true));
    socket.once('timeout', () => answer(false));
    socket.once('error', () => answer(false));
  });
}

/**
 * The stores the suites run on, and the ones they need that do not answer. Under CI=true,
 * every store; with SESAME_TEST_STORES (comma-separated), exactly those; otherwise SQLite and
 * each server that answers, so that `npm test` passes on a machine with none. A store that is
 * run without answering fails its suites: CI and an explicit list mean it is wanted.
 */
export function selectTestStores(options: {
  readonly isCi: boolean;
  /** SESAME_TEST_STORES, when set. */
  readonly named: string | undefined;
  readonly answering: readonly ServerStore[];
}): { readonly stores: readonly TestStore[]; readonly missing: readonly ServerStore[] } {
  const isAnswering = (store: TestStore) => store === 'sqlite' || options.answering.includes(store);
  let stores: readonly TestStore[];
  if (options.isCi) stores = ALL_STORES;
  else if (options.named !== undefined) stores = parseStoreList(options.named);
  else stores = ALL_STORES.filter(isAnswering);
  const missing = stores.filter((store): store is ServerStore => !isAnswering(store));
  return { stores, missing };
}

function parseStoreList(list: string): TestStore[] {
  return list.split(',').map((name) => {
    const store = ALL_STORES.find((each) => each === name.trim());
    if (store === undefined) throw new Error(`SESAME_TEST_STORES names an unknown store: ${name}`);
    return store;
  });
}
