import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestSeries } from './request-series.js';

async function exposed(series: RequestSeries) {
  const registry = new Registry();
  registry.registerMetric(series.counter());
  registry.registerMetric(series.histogram());
  const text = await registry.metrics();
  return { text, families: parsePrometheusTextFormat(text) };
}

describe('the HTTP request series', () => {
  it('count by route template, method and status class, an unknown method as OTHER and no route as unmatched', async () => {
    const series = new RequestSeries();
    series.record('GET', '/profile', 200, 0.0004);
    series.record('GET', '/profile', 403, 0.002);
    series.record('GET', '/profile', 200, 0.3);
    series.record('PROPFIND', undefined, 404, 0.001);
    series.record('MKCOL', undefined, 404, 0.001);
    const { families } = await exposed(series);
    const requests = families.find((family) => family.name === 'sesame_http_requests_total')!.metrics.map((sample) => [sample.labels, Number(sample.value)]);
    expect(requests).toEqual([
      [{ method: 'GET', route: '/profile', status_class: '2xx' }, 2],
      [{ method: 'GET', route: '/profile', status_class: '4xx' }, 1],
      [{ method: 'OTHER', route: 'unmatched', status_class: '4xx' }, 2],
    ]);
  });

  it('expose cumulative latency buckets, their sum and count, as a Prometheus histogram', async () => {
    const series = new RequestSeries();
    for (const seconds of [0.0004, 0.002, 0.3, 20]) series.record('GET', '/profile', 200, seconds);
    const { text } = await exposed(series);
    const bucket = (le: string) => Number(new RegExp(`^sesame_http_request_duration_seconds_bucket\\{method="GET",route="/profile",le="${le.replace('+', '\\+')}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect([bucket('0.0005'), bucket('0.0025'), bucket('0.25'), bucket('0.5'), bucket('10'), bucket('+Inf')]).toEqual([1, 2, 2, 3, 3, 4]);
    expect(text).toMatch(/^sesame_http_request_duration_seconds_count\{method="GET",route="\/profile"\} 4$/m);
    expect(text).toMatch(/^# TYPE sesame_http_request_duration_seconds histogram$/m);
  });
});
