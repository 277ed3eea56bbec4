import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import type { AuditLog } from './core/audit.js';

/**
 * Paths that could ever hold a secret, censored wherever they appear in a log line. Sesame
 * logs no bodies or headers, so this is the second line of defence, not the first.
 */
const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.reset_token',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.password_hash',
];

/** The service's logger: JSON lines on stdout (or `destination`), ISO-8601 times, secrets censored. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The audit log as lines of `logger`, marked `"audit": true`, at info level so that they stay
 * at the default level; the message is the event's name.
 */
export function auditTo(logger: Logger): AuditLog {
  const audit = logger.child({ audit: true });
  return (event) => audit.info(event, event.event);
}

/** The innermost message of an error chain: what an operator needs to read first. */
export function rootCause(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
