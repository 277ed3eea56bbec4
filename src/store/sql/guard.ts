import { StoreConflictError, StoreUnavailableError } from '../../core/store.js';
import { withoutStatement, type SqlDialect } from './dialects.js';

/**
 * Runs one store operation within the dialect's deadline and translates what the engine
 * throws into the port's errors: a unique violation into `StoreConflictError`, an unreachable
 * or overwhelmed database into `StoreUnavailableError`, anything else (a bug) into a plain
 * error. Every error leaves without the driver's statement and values.
 */
export async function guarded<T>(dialect: SqlDialect, operation: () => Promise<T>): Promise<T> {
  try {
    return await withinDeadline(dialect.deadlineMs, operation());
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    const kind = dialect.classifyError(error);
    if (kind === 'conflict') throw new StoreConflictError('a unique value is already taken', { cause: withoutStatement(error) });
    if (kind === 'unavailable') throw new StoreUnavailableError('the database is unavailable', { cause: withoutStatement(error) });
    throw withoutStatement(error);
  }
}

async function withinDeadline<T>(deadlineMs: number | null, operation: Promise<T>): Promise<T> {
  if (deadlineMs === null) return operation;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`the database did not answer within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([operation, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
