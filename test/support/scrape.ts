import type { FastifyInstance } from 'fastify';
import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';
import { pythonScript, runPython } from './python.js';

/** One scrape of `/metrics`, parsed by a Prometheus text-format parser. */
export class Scrape {
  constructor(readonly families: readonly Family[]) {}

  /** The value of `name`'s sample whose labels include `labels`, or 0 when there is none (a counter not yet counted). */
  value(name: string, labels: Record<string, string> = {}): number {
    const family = this.families.find((each) => each.name === name);
    const sample = family?.metrics.find((each) => Object.entries(labels).every(([label, value]) => each.labels?.[label] === value));
    return sample?.value === undefined ? 0 : Number(sample.value);
  }

  /** Every sample of the counters and gauges whose name starts with `prefix`, keyed `name{label="value",…}`. */
  samples(prefix: string): Map<string, number> {
    const found = new Map<string, number>();
    for (const family of this.families) {
      if (!family.name.startsWith(prefix) || family.type === 'HISTOGRAM') continue;
      for (const sample of family.metrics) {
        const labels = Object.entries(sample.labels ?? {})
          .map(([label, value]) => `${label}="${value}"`)
          .join(',');
        found.set(`${family.name}{${labels}}`, Number(sample.value));
      }
    }
    return found;
  }

  /** Every label value of every sample. */
  labelValues(): string[] {
    return this.families.flatMap((family) => family.metrics.flatMap((sample) => Object.values(sample.labels ?? {})));
  }
}

/** Scrapes `app`'s `/metrics` with `token`; throws unless it answers 200 in the text format. */
export async function scrape(app: FastifyInstance, token: string | null): Promise<Scrape> {
  return new Scrape(parsePrometheusTextFormat(await exposition(app, token)));
}

async function exposition(app: FastifyInstance, token: string | null): Promise<string> {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}: ${response.body}`);
  if (!response.headers['content-type']?.toString().startsWith('text/plain')) throw new Error(`/metrics answered as ${String(response.headers['content-type'])}`);
  return response.body;
}

/** One sample as the Prometheus client's parser reads it: `name` with its suffix (`_bucket`, `_count`, …). */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * One scrape parsed by the official Prometheus client's parser (Python's `prometheus_client`),
 * which keeps every sample's labels, a labelled histogram's included (the JavaScript parser
 * above merges them).
 */
export class FullScrape {
  constructor(
    /** Each family's name (a counter's without `_total`) and type. */
    readonly families: ReadonlyArray<readonly [string, string]>,
    readonly samples: readonly Sample[],
  ) {}

  /** The value of the sample `name` whose labels include `labels`, or 0 when there is none. */
  value(name: string, labels: Record<string, string> = {}): number {
    const sample = this.samples.find((each) => each.name === name && Object.entries(labels).every(([label, value]) => each.labels[label] === value));
    return sample?.value ?? 0;
  }

  /** Whether any sample is named `name`. */
  has(name: string): boolean {
    return this.samples.some((each) => each.name === name);
  }
}

/** Scrapes `app`'s `/metrics` with `token` and parses it with the Prometheus client's parser; throws if it finds the text invalid. */
export async function fullScrape(app: FastifyInstance, token: string | null): Promise<FullScrape> {
  const { code, stdout, stderr } = await runPython(pythonScript('prometheus_samples.py'), [], await exposition(app, token));
  if (code !== 0) throw new Error(`the Prometheus client's parser refused the scrape: ${stderr}`);
  const parsed = JSON.parse(stdout) as { families: Array<[string, string]>; samples: Array<[string, Record<string, string>, number | string]> };
  return new FullScrape(
    parsed.families,
    parsed.samples.map(([name, labels, value]) => ({ name, labels, value: Number(value) })),
  );
}

/** What moved between two scrapes among the samples under `prefix`: name and labels → increase. */
export function changes(before: Scrape, after: Scrape, prefix: string): Record<string, number> {
  const was = before.samples(prefix);
  const moved: Record<string, number> = {};
  for (const [key, value] of after.samples(prefix)) {
    const delta = value - (was.get(key) ?? 0);
    if (delta !== 0) moved[key] = delta;
  }
  return moved;
}
