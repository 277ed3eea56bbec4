import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

const VERBOSE_LEVELS = new Set(['debug', 'trace']);

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
    request.log.debug(
      { reqId: request.id, method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: reply.elapsedTime },
      'request completed',
    );
  }
}
