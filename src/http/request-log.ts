import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** The logger requests' loggers are children of (pino's, as Fastify's type does not say `isLevelEnabled`). */
export interface ParentLogger extends FastifyBaseLogger {
  isLevelEnabled(level: string): boolean;
}

const VERBOSE_LEVELS = new Set(['debug', 'trace']);
const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

const BINDINGS = Symbol('bindings');
const CHILD = Symbol('child');

interface LazyChild {
  [BINDINGS]: Bindings;
  [CHILD]?: FastifyBaseLogger;
}

/** Told of every request as it completes (the metrics). */
export interface RequestObserver {
  /** `route` is the route's template (`/admin/users/:ref`), undefined when none matched; never the path. */
  requestCompleted(method: string, route: string | undefined, status: number, seconds: number): void;
}

/**
 * Fastify's per-request log lines, made quiet: two info lines per request would cost the hot
 * path more than the session check itself. A one-line summary is logged at debug level;
 * errors are logged where they are handled.
 */
export class RequestLog extends LogController {
  readonly #observer: RequestObserver | null;

  /** `observer`, when given, hears of every request: the one hook Fastify calls for each anyway. */
  constructor(observer: RequestObserver | null = null) {
    super();
    this.#observer = observer;
  }

  override incomingRequest(): void {}

  override requestCompleted(_error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    this.#observer?.requestCompleted(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
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
export function lazyRequestLoggers(parent: ParentLogger): (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) => FastifyBaseLogger {
  const childOf = (lazy: LazyChild): FastifyBaseLogger => (lazy[CHILD] ??= parent.child(lazy[BINDINGS]));
  const prototype = Object.create(parent) as Record<string, unknown>;
  for (const level of LEVELS) {
    prototype[level] = function (this: LazyChild, ...args: Parameters<FastifyBaseLogger['info']>) {
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
