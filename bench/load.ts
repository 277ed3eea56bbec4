import autocannon from 'autocannon';

/** One load measurement. */
export interface Measured {
  /** Answers per second (2xx only). */
  readonly perSecond: number;
  /** Latency percentiles, ms. */
  readonly p50: number;
  readonly p99: number;
  /** Answers that were not 2xx, and connection errors or timeouts. */
  readonly failures: number;
  /** Every 2xx answer's latency, ms, so that slices of one load can be pooled. */
  readonly latencies: readonly number[];
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Makes each request's body (and headers) from a per-connection context: rotating accounts, a refresh chain. */
  readonly setupRequest?: (request: autocannon.Request, context: Record<string, unknown>) => autocannon.Request;
  readonly onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

const SAMPLE_MS = 100;

/** Loads `url` from this process with autocannon (only ever 127.0.0.1), bounded in time. */
export async function load(options: LoadOptions): Promise<Measured> {
  const { url, connections, seconds, method = 'GET', headers = {}, body } = options;
  if (!new URL(url).hostname.startsWith('127.')) throw new Error('load tests only ever target 127.0.0.1');
  const request: autocannon.Request = { method, path: new URL(url).pathname, headers, ...(body === undefined ? {} : { body }) };
  if (options.setupRequest) request.setupRequest = options.setupRequest as autocannon.Request['setupRequest'];
  if (options.onResponse) request.onResponse = options.onResponse as autocannon.Request['onResponse'];
  // autocannon's own percentiles are whole milliseconds, too coarse for checks answered in one
  // or two: each 2xx answer's time is kept as measured.
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      // autocannon ends a run at its first sample tick after the duration: with its default of
      // a tick a second, a half-second slice ran a whole second, and 1.5 s ran 2.
      { url: new URL(url).origin, connections, duration: seconds, requests: [request], timeout: 10, sampleInt: SAMPLE_MS },
      (error: unknown, done: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error('autocannon failed')) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  return { perSecond: result['2xx'] / result.duration, ...percentiles(latencies), failures: result.non2xx + result.errors + result.timeouts, latencies };
}

/** The median and the 99th percentile (nearest rank) of latencies in ms; 0 for none. */
export function percentiles(latencies: readonly number[]): { p50: number; p99: number } {
  const sorted = Float64Array.from(latencies).sort();
  const at = (fraction: number) => sorted[Math.max(0, Math.ceil(sorted.length * fraction) - 1)] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * Requests for chains in which each request presents what the last answer gave (refresh
 * tokens), one chain per connection. Each request takes a token from the pool and each 2xx
 * answer puts its successor back: autocannon hands an answer over before it builds that
 * connection's next request, so with as many chains as connections every request finds one.
 * (autocannon clears a connection's context before each request: the chains cannot live
 * there.) An empty pool sends an empty token, which the server refuses, and the load counts.
 */
export function followingChains(
  tokens: string[],
  bodyOf: (token: string) => string,
  successorOf: (body: string) => string,
): Pick<LoadOptions, 'setupRequest' | 'onResponse'> {
  return {
    setupRequest: (request) => ({ ...request, body: bodyOf(tokens.pop() ?? '') }),
    onResponse: (status, body) => {
      if (status >= 200 && status < 300) tokens.push(successorOf(body));
    },
  };
}

/**
 * One measurement from slices of one load: their mean rate, and the percentiles of all their
 * answers pooled (not the worst slice's p99, which grows with the number of slices).
 */
export function combineSlices(slices: readonly Measured[]): Measured {
  const latencies = slices.flatMap((slice) => slice.latencies);
  return {
    perSecond: slices.reduce((sum, slice) => sum + slice.perSecond, 0) / slices.length,
    ...percentiles(latencies),
    failures: slices.reduce((sum, slice) => sum + slice.failures, 0),
    latencies,
  };
}

/**
 * Runs loads beside each other for `seconds` each, in slices of about `sliceSeconds`, each
 * turn in the given order and the next in reverse (A B C C B A …), so that the machine's speed
 * drifting meanwhile weighs on all alike and any two are measured within one turn of each
 * other. `afterSlice` runs after each slice, outside the measurement (log-ins settle there:
 * the hashes a stopped load left queued must not fall on the next slice). Returns each load's
 * slices combined, in the order given.
 */
export async function interleaved(
  loads: ReadonlyArray<(seconds: number) => Promise<Measured>>,
  seconds: number,
  sliceSeconds: number,
  afterSlice: () => Promise<unknown> = async () => undefined,
): Promise<Measured[]> {
  const slices = Math.max(1, Math.round(seconds / sliceSeconds));
  const results = loads.map((): Measured[] => []);
  const forward = loads.map((_, index) => index);
  const backward = [...forward].reverse();
  for (let slice = 0; slice < slices; slice += 1) {
    for (const index of slice % 2 === 0 ? forward : backward) {
      results[index]!.push(await loads[index]!(seconds / slices));
      await afterSlice();
    }
  }
  return results.map(combineSlices);
}
