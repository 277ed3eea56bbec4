import type { Metric } from 'prom-client';
import { histogramValues, observe, plainHistogram, plainMetric, type PlainHistogram } from './plain-series.js';

// Seconds; a session check is well under a millisecond, a log-in tens to hundreds.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
// Node's parser knows a fixed set of methods; anything unrouted is named only by these.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** One route and method's counts: by status class, and the latency histogram. */
interface RouteCounts {
  readonly labels: { readonly method: string; readonly route: string };
  readonly byStatusClass: number[];
  readonly latency: PlainHistogram;
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
      counts = byMethod.get(verb) ?? { labels: { method: verb, route: template }, byStatusClass: [0, 0, 0, 0, 0], latency: plainHistogram(BUCKETS) };
      byMethod.set(verb, counts);
    }
    const statusClass = Math.trunc(status / 100) - 1;
    if (statusClass >= 0 && statusClass < STATUS_CLASSES.length) counts.byStatusClass[statusClass]! += 1;
    observe(counts.latency, BUCKETS, seconds);
  }

  #all(): RouteCounts[] {
    return [...this.#routes.values()].flatMap((byMethod) => [...byMethod.values()]);
  }

  /** `sesame_http_requests_total{method, route, status_class}`. */
  counter(): Metric {
    return plainMetric('sesame_http_requests_total', 'HTTP requests answered, by route template and status class', 'counter', () =>
      this.#all().flatMap(({ labels, byStatusClass }) =>
        byStatusClass.flatMap((value, index) => (value === 0 ? [] : [{ labels: { ...labels, status_class: STATUS_CLASSES[index]! }, value }])),
      ),
    );
  }

  /** `sesame_http_request_duration_seconds{method, route}`, from the request's arrival to the answer's last byte handed to the socket. */
  histogram(): Metric {
    const name = 'sesame_http_request_duration_seconds';
    return plainMetric(name, 'HTTP request latency, by route template', 'histogram', () =>
      this.#all().flatMap(({ labels, latency }) => histogramValues(name, BUCKETS, labels, latency)),
    );
  }
}
