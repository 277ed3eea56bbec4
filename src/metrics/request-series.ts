import type { Metric, MetricValueWithName } from 'prom-client';

// Seconds; a session check is well under a millisecond, a log-in tens to hundreds.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
// Node's parser knows a fixed set of methods; anything unrouted is named only by these.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** One route and method's counts: by status class, and the latency histogram's buckets (not cumulative), sum and count. */
interface RouteCounts {
  readonly labels: { readonly method: string; readonly route: string };
  readonly byStatusClass: number[];
  readonly buckets: number[];
  sum: number;
  count: number;
}

/**
 * The HTTP request counts and latencies, kept as plain numbers per route template and turned
 * into Prometheus series only when scraped: counting a request costs a map look-up and a few
 * additions, where the client library's labelled `inc` and `observe` hash their labels on
 * every call. Routes are templates (`/admin/users/:ref`) or `unmatched`, never a path.
 */
export class RequestSeries {
  // Route template, then method: two look-ups cost less than building one key per request.
  readonly #routes = new Map<string, Map<string, RouteCounts>>();

  /** A request completed: `route` is its template (undefined when no route matched). */
  record(method: string, route: string | undefined, status: number, seconds: number): void {
    const template = route ?? 'unmatched';
    let byMethod = this.#routes.get(template);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#routes.set(template, byMethod);
    }
    let counts = byMethod.get(method);
    if (counts === undefined) {
      // An unlisted method is counted under OTHER, and never gets a key of its own.
      const verb = METHODS.has(method) ? method : 'OTHER';
      counts = byMethod.get(verb) ?? { labels: { method: verb, route: template }, byStatusClass: [0, 0, 0, 0, 0], buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      byMethod.set(verb, counts);
    }
    const statusClass = Math.trunc(status / 100) - 1;
    if (statusClass >= 0 && statusClass < STATUS_CLASSES.length) counts.byStatusClass[statusClass]! += 1;
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket += 1;
    counts.buckets[bucket]! += 1;
    counts.sum += seconds;
    counts.count += 1;
  }

  #all(): RouteCounts[] {
    return [...this.#routes.values()].flatMap((byMethod) => [...byMethod.values()]);
  }

  /** `sesame_http_requests_total{method, route, status_class}`. */
  counter(): Metric {
    return this.#metric('sesame_http_requests_total', 'HTTP requests answered, by route template and status class', 'counter', () =>
      this.#all().flatMap(({ labels, byStatusClass }) =>
        byStatusClass.flatMap((value, index) => (value === 0 ? [] : [{ labels: { ...labels, status_class: STATUS_CLASSES[index]! }, value }])),
      ),
    );
  }

  /** `sesame_http_request_duration_seconds{method, route}`, from the request's arrival to the answer's last byte handed to the socket. */
  histogram(): Metric {
    const name = 'sesame_http_request_duration_seconds';
    return this.#metric(name, 'HTTP request latency, by route template', 'histogram', () =>
      this.#all().flatMap(({ labels, buckets, sum, count }) => {
        let cumulative = 0;
        const values: Array<MetricValueWithName<string>> = BUCKETS.map((le, index) => {
          cumulative += buckets[index]!;
          return { metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative };
        });
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
        values.push({ metricName: `${name}_sum`, labels, value: sum }, { metricName: `${name}_count`, labels, value: count });
        return values;
      }),
    );
  }

  // The registry asks a metric only for its name, its help and type, and `get()`: a small
  // object answers for series whose values are kept elsewhere.
  #metric(name: string, help: string, type: 'counter' | 'histogram', values: () => Array<MetricValueWithName<string>>): Metric {
    const get = () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() });
    return { name, help, type, aggregator: 'sum', get } as unknown as Metric;
  }
}
