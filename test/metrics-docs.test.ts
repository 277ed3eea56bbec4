import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeEngines } from './support/databases.js';
import { METRICS_TOKEN, startMetricsRig } from './support/metrics-rig.js';
import { fullScrape, type FullScrape } from './support/scrape.js';
import { TEST_SECRETS } from './support/test-config.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const MONITORING = readFileSync(new URL('../docs/monitoring.md', import.meta.url), 'utf8');

/** The README's section under `heading`, to the next section. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" section`);
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

/** Every series name a text mentions: Sesame's own, and the client's defaults it names (`process_*` patterns left out). */
function seriesNamed(text: string): string[] {
  return [...new Set([...text.matchAll(/\b(?:sesame|nodejs|process)_[a-z0-9_]*[a-z0-9]\b/g)].map(([name]) => name))];
}

/** Whether `name` is a sample of `scraped`, or names one of its families (a counter's `_total`, a histogram's `_bucket`, `_sum`, `_count`). */
function isScraped(scraped: FullScrape, name: string): boolean {
  const families = new Map(scraped.families.map(([family, type]) => [family, type]));
  if (families.has(name) || scraped.has(name)) return true;
  const suffix = /_(total|bucket|sum|count)$/.exec(name)?.[1];
  if (suffix === undefined) return false;
  const type = families.get(name.slice(0, -suffix.length - 1));
  return suffix === 'total' ? type === 'counter' : type === 'histogram';
}

// Every series applies on PostgreSQL with Redis and a webhook receiver: the pool gauge, Redis's rows, the deliveries.
describeEngines(['postgres'], 'the monitoring docs, against a scrape on %s with Redis', (engine) => {
  it("name only series a scrape has, in the README's ten and in docs/monitoring.md", async () => {
    const secret = Buffer.from(TEST_SECRETS.SESAME_WEBHOOK_SECRET.slice('whsec_'.length), 'base64');
    const { app } = await startMetricsRig({ webhook: { url: 'https://hooks.example/sesame', secret } }, false, { engine, withRedis: true });
    const scraped = await fullScrape(app, METRICS_TOKEN);
    const readmeNames = seriesNamed(section(README, '## Monitoring'));
    expect(readmeNames.length).toBeGreaterThanOrEqual(12);
    const named = [...readmeNames, ...seriesNamed(MONITORING)];
    expect(named.filter((name) => !isScraped(scraped, name))).toEqual([]);
  });
}, ['redis']);

it('says in the README why there is no openid-configuration', () => {
  expect(README).toMatch(/There is no\s+`\/\.well-known\/openid-configuration`: Sesame is not an OpenID provider/);
});
