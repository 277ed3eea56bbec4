import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { CacheUnavailableError } from '../core/cache.js';
import { AuthError, type AuthErrorCode } from '../core/errors.js';
import { StoreUnavailableError } from '../core/store.js';
import { HttpError, type HttpErrorCode } from './http-error.js';
import { SECURITY_HEADER_LINES } from './security-headers.js';

/** Which error body a route answers with: the session API's `{"message"}` or RFC 6749's `{"error", "error_description"}`. */
export type ErrorFamily = 'session' | 'oauth';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's error body shape; `session` when unset. */
    errorFamily?: ErrorFamily;
  }
}

interface Outcome {
  readonly status: number;
  /** The RFC 6749 / RFC 6750 error code for OAuth-shaped answers. */
  readonly oauth: string;
}

/** Every core and HTTP-layer code's status and OAuth code. A new code without an entry here does not compile. */
const OUTCOMES: Record<AuthErrorCode | HttpErrorCode, Outcome> = {
  invalid_input: { status: 400, oauth: 'invalid_request' },
  email_taken: { status: 400, oauth: 'invalid_request' },
  invalid_credentials: { status: 401, oauth: 'invalid_grant' },
  invalid_session: { status: 403, oauth: 'invalid_token' },
  email_not_registered: { status: 403, oauth: 'invalid_request' },
  invalid_reset_token: { status: 403, oauth: 'invalid_request' },
  invalid_grant: { status: 400, oauth: 'invalid_grant' },
  invalid_client: { status: 401, oauth: 'invalid_client' },
  overloaded: { status: 503, oauth: 'temporarily_unavailable' },
  rate_limited: { status: 429, oauth: 'temporarily_unavailable' },
  invalid_request: { status: 400, oauth: 'invalid_request' },
  unsupported_charset: { status: 415, oauth: 'invalid_request' },
  invalid_token: { status: 401, oauth: 'invalid_token' },
  no_session: { status: 403, oauth: 'invalid_token' },
  unsupported_grant_type: { status: 400, oauth: 'unsupported_grant_type' },
  cross_site: { status: 403, oauth: 'access_denied' },
  shutting_down: { status: 503, oauth: 'temporarily_unavailable' },
};

/** Where a family answers otherwise than `OUTCOMES`. */
const FAMILY_OUTCOMES: Record<ErrorFamily, Partial<Record<AuthErrorCode | HttpErrorCode, Outcome>>> = {
  // The session API's statuses are the contract's (DESIGN.md §2).
  session: {},
  // RFC 6749 §5.2 and RFC 6750 §3.1: a client error is a 400 and a missing credential a 401.
  oauth: {
    invalid_credentials: { status: 400, oauth: 'invalid_grant' },
    invalid_session: { status: 401, oauth: 'invalid_token' },
    no_session: { status: 401, oauth: 'invalid_token' },
    email_not_registered: { status: 400, oauth: 'invalid_request' },
    invalid_reset_token: { status: 400, oauth: 'invalid_request' },
  },
};

// Fixed texts for the framework's client errors: its own messages echo request headers.
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content type: send application/x-www-form-urlencoded or application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request body is empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'request body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request body does not match its Content-Length',
};

const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * Maps every error to a status and a body in one place: core errors by code, validation and
 * framework errors to 4xx, an unreachable store to 503, anything else to a 500 whose cause
 * goes to the log only. The route's family picks the body: session-API routes answer
 * `{"message"}` whatever the status, token-API routes `{"error", "error_description"}`.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const family = request.routeOptions.config.errorFamily ?? 'session';
    if (error instanceof AuthError || error instanceof HttpError) {
      // A session that ended under a request authenticated by a Bearer token makes that token dead (401), not a missing cookie (403).
      const code = error.code === 'invalid_session' && request.credential === 'bearer' ? 'invalid_token' : error.code;
      const outcome = FAMILY_OUTCOMES[family][code] ?? OUTCOMES[code];
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      // RFC 6750 §3: a refused bearer token says so in WWW-Authenticate.
      if (outcome.status === 401) {
        const challenge = outcome.oauth === 'invalid_token' ? 'Bearer error="invalid_token"' : 'Bearer';
        void reply.header('www-authenticate', challenge);
      }
      return sendError(reply, family, outcome, error.message);
    }
    // A cache that cannot take a session's end fails the request: better than a stale "live".
    // Each outage is logged once where it is seen (OutageLog), not once per request.
    if (error instanceof StoreUnavailableError || error instanceof CacheUnavailableError) {
      void reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
      return sendError(reply, family, { status: 503, oauth: 'temporarily_unavailable' }, 'service unavailable, retry shortly');
    }
    if (error.validation) return sendError(reply, family, { status: 400, oauth: 'invalid_request' }, describeValidation(error));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, family, { status, oauth: 'invalid_request' }, FRAMEWORK_MESSAGES[error.code] ?? 'malformed request');
    }
    request.log.error({ reqId: request.id, err: error }, 'request failed');
    return sendError(reply, family, { status: 500, oauth: 'server_error' }, 'internal error');
  });

  app.setNotFoundHandler((_request, reply) => sendError(reply, 'session', { status: 404, oauth: 'invalid_request' }, 'not found'));
}

function sendError(reply: FastifyReply, family: ErrorFamily, outcome: Outcome, message: string): FastifyReply {
  const body = family === 'oauth' ? { error: outcome.oauth, error_description: message } : { message };
  return reply.code(outcome.status).send(body);
}

/**
 * Answers what Node's HTTP parser refused before any route saw it (a malformed request line,
 * headers too large, a request too slow), on the raw socket, in the same `{"message"}` shape
 * and with the same security headers as every other answer.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const [status, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request timed out']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request headers are too large']
        : [400, 'malformed request'];
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `${SECURITY_HEADER_LINES}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** One clear sentence for the first schema violation, naming the field as the client sent it. */
function describeValidation(error: FastifyError): string {
  const [first] = error.validation ?? [];
  if (!first) return 'malformed request';
  const params = first.params as { missingProperty?: string; type?: string };
  const field = first.instancePath.split('/').slice(1).join('.');
  if (first.keyword === 'required' && params.missingProperty) return `${params.missingProperty} is required`;
  if (field === '') return 'request body must be form fields or a JSON object';
  if (first.keyword === 'type') return `${field} must be a ${params.type ?? 'string'}`;
  return `${field} ${first.message ?? 'is invalid'}`;
}
