import { StoreConflictError, StoreUnavailableError } from '../../core/store.js';
import type { AvailabilityReport } from '../availability.js';
import type { StatementTimings, TimedStatement } from '../statement-timings.js';
import { withoutStatement, type SqlDialect } from './dialects.js';

/** A hot operation's name, and where its time goes. */
export interface Timing {
  readonly timings: StatementTimings;
  readonly statement: TimedStatement;
}

/**
 * Runs one store operation within the dialect's deadline and translates what the engine
 * throws into the port's errors: a unique violation into `StoreConflictError`, an unreachable
 * or overwhelmed database into `StoreUnavailableError`, anything else (a bug) into a plain
 * error. Every error leaves without the driver's statement and values. Whether the database
 * answered goes to `report`; how long it took, to `timing` when there is one (the clock is
 * read only then).
 */
export async function guarded<T>(dialect: SqlDialect, report: AvailabilityReport, operation: () => Promise<T>, timing: Timing | null = null): Promise<T> {
  const mark = report.mark();
  const started = timing === null ? 0 : performance.now();
  try {
    const result = await withinDeadline(dialect.deadlineMs, operation());
    timing?.timings.took(timing.statement, (performance.now() - started) / 1000);
    report.available();
    return result;
  } catch (error) {
    timing?.timings.took(timing.statement, (performance.now() - started) / 1000);
    const translated = translate(dialect, error);
    if (translated instanceof StoreUnavailableError) report.unavailable(translated, mark);
    throw translated;
  }
}

function translate(dialect: SqlDialect, error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  const kind = dialect.classifyError(error);
  if (kind === 'conflict') return new StoreConflictError('a unique value is already taken', { cause: withoutStatement(error) });
  if (kind === 'unavailable') return new StoreUnavailableError('the database is unavailable', { cause: withoutStatement(error) });
  return withoutStatement(error);
}

// A promise and a timer per operation, not a race of two promises in an async function: this
// runs on every session check that reaches a database server.
function withinDeadline<T>(deadlineMs: number | null, operation: Promise<T>): Promise<T> {
  if (deadlineMs === null) return operation;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreUnavailableError(`the database did not answer within ${deadlineMs} ms`)), deadlineMs);
    operation.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the operation's own rejection, passed on unchanged.
        reject(error);
      },
    );
  });
}
