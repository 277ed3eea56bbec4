import type { Metric } from 'prom-client';
import { TIMED_STATEMENTS, type StatementTimings, type TimedStatement } from '../store/statement-timings.js';
import { histogramValues, observe, plainHistogram, plainMetric, type PlainHistogram } from './plain-series.js';

// Seconds; a session read on a database server takes a fraction of a millisecond, a log-in's session write a few.
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const NAME = 'sesame_db_statement_duration_seconds';

/**
 * `sesame_db_statement_duration_seconds{statement}`: the store's hot operations' times, kept
 * as plain numbers per fixed statement name (as the request series are) and turned into a
 * histogram only when scraped. A statement not yet run has no series.
 */
export class StatementSeries implements StatementTimings {
  readonly #byStatement = new Map<TimedStatement, PlainHistogram>(TIMED_STATEMENTS.map((statement) => [statement, plainHistogram(BUCKETS)]));

  took(statement: TimedStatement, seconds: number): void {
    observe(this.#byStatement.get(statement)!, BUCKETS, seconds);
  }

  histogram(): Metric {
    return plainMetric(NAME, "Time of the store's hot operations against the database, by statement", 'histogram', () =>
      [...this.#byStatement].flatMap(([statement, histogram]) => (histogram.count === 0 ? [] : histogramValues(NAME, BUCKETS, { statement }, histogram))),
    );
  }
}
