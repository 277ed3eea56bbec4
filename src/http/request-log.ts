import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

const VERBOSE_LEVELS = new Set(['debug', 'trace']);
const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

const BINDINGS = Symbol('bindings');
const CHILD = Symbol('child');

interface LazyChild {
  [BINDINGS]: Bindings;
  [CHILD]?: Logger;
}

/**
 * Fastify's per-request log lines, made quiet: two info lines per request would cost the hot
 * path more than the session check itself. A one-line summary is logged at debug level;
 * errors are logged where they are handled.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(_error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (!VERBOSE_LEVELS.has(request.log.level)) return;
    // The path only: a query string is the client's to fill, and could carry anything.
    request.log.debug({ method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
  }
}

/**
 * Fastify's `childLoggerFactory` for `parent`: each request's logger carries the request's id
 * (`reqId`) on every line, yet is made only when the request logs a line at an enabled level.
 * A pino child per request costs a tenth of a session check, and most requests log nothing;
 * an object over a shared prototype costs next to nothing.
 */
export function lazyRequestLoggers(parent: Logger): (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) => FastifyBaseLogger {
  const childOf = (lazy: LazyChild): Logger => (lazy[CHILD] ??= parent.child(lazy[BINDINGS]));
  const prototype = Object.create(parent) as Record<string, unknown>;
  for (const level of LEVELS) {
    prototype[level] = function (this: LazyChild, ...args: Parameters<Logger['info']>) {
      if (!parent.isLevelEnabled(level)) return;
      childOf(this)[level](...args);
    };
  }
  prototype.child = function (this: LazyChild, bindings: Bindings, options?: ChildLoggerOptions) {
    return childOf(this).child(bindings, options);
  };
  return (_logger, bindings, options) => {
    // A route with a log level of its own gets a real child with that level.
    if (options.level !== undefined) return parent.child(bindings, options);
    const lazy = Object.create(prototype) as LazyChild & FastifyBaseLogger;
    lazy[BINDINGS] = bindings;
    return lazy;
  };
}
