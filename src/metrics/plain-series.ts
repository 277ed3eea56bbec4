import type { Metric, MetricValueWithName } from 'prom-client';

/** A histogram's counts as plain numbers: per bucket (not cumulative, the last one past every bound), sum and count. */
export interface PlainHistogram {
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** Empty counts for a histogram with `bounds`. */
export function plainHistogram(bounds: readonly number[]): PlainHistogram {
  return { buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

/** Counts `seconds` in `histogram`: a walk over the bounds and three additions, no label hashing. */
export function observe(histogram: PlainHistogram, bounds: readonly number[], seconds: number): void {
  let bucket = 0;
  while (bucket < bounds.length && seconds > bounds[bucket]!) bucket += 1;
  histogram.buckets[bucket]! += 1;
  histogram.sum += seconds;
  histogram.count += 1;
}

/** `histogram`'s samples as series `name` with `labels`: cumulative buckets, `+Inf`, sum and count. */
export function histogramValues(name: string, bounds: readonly number[], labels: Record<string, string>, histogram: PlainHistogram): Array<MetricValueWithName<string>> {
  let cumulative = 0;
  const values: Array<MetricValueWithName<string>> = bounds.map((le, index) => {
    cumulative += histogram.buckets[index]!;
    return { metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative };
  });
  values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: histogram.count });
  values.push({ metricName: `${name}_sum`, labels, value: histogram.sum }, { metricName: `${name}_count`, labels, value: histogram.count });
  return values;
}

/**
 * A series whose values are kept elsewhere, as plain numbers: the registry asks a metric only
 * for its name, help and type, and `get()`, so a small object answers for it.
 */
export function plainMetric(name: string, help: string, type: 'counter' | 'histogram', values: () => Array<MetricValueWithName<string>>): Metric {
  const get = () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() });
  return { name, help, type, aggregator: 'sum', get } as unknown as Metric;
}
