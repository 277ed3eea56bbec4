import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CacheUnavailableError } from '../core/cache.js';
import { AuthError, type AuthErrorCode } from '../core/errors.js';
import { StoreUnavailableError } from '../core/store.js';
import { HttpError, type HttpErrorCode } from './http-error.js';
import { SECURITY_HEADER_LINES } from './security-headers.js';

/**
 * Which error body a route answers with: the session API's `{"message"}`, RFC 6749's
 * `{"error", "error_description"}`, the admin API's `{"error", "message"}` (`error` a stable
 * code), python-jwt-auth's `{"status": "failed", "message"}`, or the Flask-JWT-Extended
 * course's flask-smorest `{"code", "status", "message"}` (`status` the reason phrase).
 */
export type ErrorFamily = 'session' | 'oauth' | 'admin' | 'pja' | 'course';

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
  user_not_found: { status: 404, oauth: 'invalid_request' },
  session_not_found: { status: 404, oauth: 'invalid_request' },
  invalid_grant: { status: 400, oauth: 'invalid_grant' },
  token_revoked: { status: 401, oauth: 'invalid_grant' },
  invalid_client: { status: 401, oauth: 'invalid_client' },
  overloaded: { status: 503, oauth: 'temporarily_unavailable' },
  rate_limited: { status: 429, oauth: 'temporarily_unavailable' },
  not_an_operator: { status: 403, oauth: 'access_denied' },
  invalid_request: { status: 400, oauth: 'invalid_request' },
  unsupported_charset: { status: 415, oauth: 'invalid_request' },
  unsupported_media_type: { status: 415, oauth: 'invalid_request' },
  invalid_token: { status: 401, oauth: 'invalid_token' },
  no_session: { status: 403, oauth: 'invalid_token' },
  unsupported_grant_type: { status: 400, oauth: 'unsupported_grant_type' },
  cross_site: { status: 403, oauth: 'access_denied' },
  shutting_down: { status: 503, oauth: 'temporarily_unavailable' },
};

/** The status the session API answers a code with; the pages answer with the same. */
export function statusOf(code: AuthErrorCode | HttpErrorCode): number {
  return OUTCOMES[code].status;
}

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
  // A taken email is a conflict with the resource's state (RFC 9110 §15.5.10), not a malformed request.
  admin: {
    email_taken: { status: 409, oauth: 'invalid_request' },
  },
  // The contracts' own answers are given by their routes; these are what is left to the handler.
  pja: {},
  course: {},
};

// The admin API's `error` where it is not the code itself: every unavailability is one code to retry on.
const ADMIN_CODES: Partial<Record<AuthErrorCode | HttpErrorCode, string>> = { shutting_down: 'unavailable' };
// RFC 6750 §3: the realm tells an operator's client which token is asked for.
const ADMIN_CHALLENGE = 'Bearer realm="sesame-admin"';

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
  const saturation = saturationLog();
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const family = request.routeOptions.config.errorFamily ?? 'session';
    if (error instanceof AuthError || error instanceof HttpError) {
      // A session that ended under a request authenticated by a Bearer token makes that token dead (401), not a missing cookie (403).
      const code = error.code === 'invalid_session' && request.credential === 'bearer' ? 'invalid_token' : error.code;
      const outcome = FAMILY_OUTCOMES[family][code] ?? OUTCOMES[code];
      if (code === 'overloaded') saturation(request);
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      // RFC 6750 §3: a refused bearer token says so in WWW-Authenticate.
      if (outcome.status === 401) {
        const challenge = family === 'admin' ? ADMIN_CHALLENGE : outcome.oauth === 'invalid_token' ? 'Bearer error="invalid_token"' : 'Bearer';
        void reply.header('www-authenticate', challenge);
      }
      return sendError(reply, family, outcome, error.message, ADMIN_CODES[code] ?? code);
    }
    // A cache that cannot take a session's end fails the request: better than a stale "live".
    // Each outage is logged once where it is seen (OutageLog), not once per request.
    if (error instanceof StoreUnavailableError || error instanceof CacheUnavailableError) {
      void reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
      return sendError(reply, family, { status: 503, oauth: 'temporarily_unavailable' }, 'service unavailable, retry shortly', 'unavailable');
    }
    if (error.validation) {
      return sendError(reply, family, { status: 400, oauth: 'invalid_request' }, describeValidation(error, family), 'invalid_request');
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, family, { status, oauth: 'invalid_request' }, FRAMEWORK_MESSAGES[error.code] ?? 'malformed request', 'invalid_request');
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, family, { status: 500, oauth: 'server_error' }, 'internal error', 'internal_error');
  });

  app.setNotFoundHandler((_request, reply) => answerNotFound(reply, 'session'));
}

// While hashing stays saturated, a line at most this often says so again.
const SATURATION_LINE_INTERVAL_MS = 60_000;

/**
 * The cause of a 503 for a full hashing queue, at warn level: one line when it starts, then at
 * most one a minute with how many were refused since, so that a log-in storm writes no storm of
 * lines (the database's and Redis's outages have their own log, `OutageLog`).
 */
function saturationLog(): (request: FastifyRequest) => void {
  let lastLineMs = -Infinity;
  let refused = 0;
  return (request) => {
    refused += 1;
    const nowMs = Date.now();
    if (nowMs - lastLineMs < SATURATION_LINE_INTERVAL_MS) return;
    lastLineMs = nowMs;
    request.log.warn(
      { dependency: 'password hashing', code: 'overloaded', refused },
      'password hashing saturated: requests refused with 503 (see SESAME_HASH_CONCURRENCY and SESAME_HASH_QUEUE_LIMIT)',
    );
    refused = 0;
  };
}

/** The framework's refusal of a URL before any route (malformed, or a parameter too long for the router), in a family's shape. */
export function answerMalformedUrl(reply: FastifyReply, family: ErrorFamily): FastifyReply {
  return sendError(reply, family, { status: 400, oauth: 'invalid_request' }, 'malformed request URL', 'invalid_request');
}

/** A 404 for a path no route has, in a family's shape (a plugin's own not-found handler for its prefix). */
export function answerNotFound(reply: FastifyReply, family: ErrorFamily): FastifyReply {
  return sendError(reply, family, { status: 404, oauth: 'invalid_request' }, 'not found', 'not_found');
}

/** A 405 for a method a family's path does not take, in that family's shape. */
export function answerMethodNotAllowed(reply: FastifyReply, family: ErrorFamily): FastifyReply {
  return sendError(reply, family, { status: 405, oauth: 'invalid_request' }, 'method not allowed', 'method_not_allowed');
}

/** Sends the family's error body; `adminCode` is the admin API's `error`. */
function sendError(reply: FastifyReply, family: ErrorFamily, outcome: Outcome, message: string, adminCode: string): FastifyReply {
  return reply.code(outcome.status).send(errorBody(family, outcome, message, adminCode));
}

function errorBody(family: ErrorFamily, outcome: Outcome, message: string, adminCode: string): object {
  switch (family) {
    case 'oauth':
      return { error: outcome.oauth, error_description: message };
    case 'admin':
      return { error: adminCode, message };
    case 'pja':
      return { status: 'failed', message };
    case 'course':
      // flask-smorest's body; its 404 and 405 carry no message (the contract's exact bodies).
      return outcome.status === 404 || outcome.status === 405
        ? { code: outcome.status, status: STATUS_CODES[outcome.status] }
        : { code: outcome.status, status: STATUS_CODES[outcome.status], message };
    case 'session':
      return { message };
  }
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
function describeValidation(error: FastifyError, family: ErrorFamily): string {
  const [first] = error.validation ?? [];
  if (!first) return 'malformed request';
  // `type` is a list when the schema allows several (`["object", "null"]`).
  const params = first.params as { missingProperty?: string; additionalProperty?: string; type?: string | string[] };
  const field = first.instancePath.split('/').slice(1).join('.');
  const isQuery = error.validationContext === 'querystring';
  if (first.keyword === 'required' && params.missingProperty) return `${params.missingProperty} is required`;
  if (first.keyword === 'additionalProperties' && params.additionalProperty) {
    return `unknown ${isQuery ? 'query parameter' : 'field'}: ${params.additionalProperty}`;
  }
  if (field === '') return family === 'admin' ? 'request body must be a JSON object' : 'request body must be form fields or a JSON object';
  if (first.keyword === 'minLength') {
    const { limit } = first.params as { limit: number };
    return limit === 1 ? `${field} must not be empty` : `${field} must have at least ${limit} characters`;
  }
  if (first.keyword === 'enum') return `${field} must be one of ${(first.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (first.keyword === 'type') return `${field} must be ${[params.type ?? 'string'].flat().map(withArticle).join(' or ')}`;
  return `${field} ${first.message ?? 'is invalid'}`;
}

/** A JSON Schema type as a phrase: `a string`, `an object`, `null`. */
function withArticle(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
