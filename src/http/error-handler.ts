import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AuthError, type AuthErrorCode } from '../core/errors.js';
import { StoreUnavailableError } from '../core/store.js';

/** Every core error code's status. A new code without an entry here does not compile. */
const STATUS_BY_CODE: Record<AuthErrorCode, number> = {
  invalid_input: 400,
  email_taken: 400,
  invalid_credentials: 401,
  invalid_session: 403,
  email_not_registered: 403,
  invalid_reset_token: 403,
  overloaded: 503,
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
 * goes to the log only. Session-API bodies are `{"message": "…"}`, whatever the status.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AuthError) {
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      return sendMessage(reply, STATUS_BY_CODE[error.code], error.message);
    }
    if (error instanceof StoreUnavailableError) {
      request.log.warn({ err: error.cause }, 'store unavailable');
      void reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
      return sendMessage(reply, 503, 'service unavailable, retry shortly');
    }
    if (error.validation) return sendMessage(reply, 400, describeValidation(error));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendMessage(reply, status, FRAMEWORK_MESSAGES[error.code] ?? 'malformed request');
    }
    request.log.error({ err: error }, 'request failed');
    return sendMessage(reply, 500, 'internal error');
  });

  app.setNotFoundHandler((_request, reply) => sendMessage(reply, 404, 'not found'));
}

/**
 * Answers what Node's HTTP parser refused before any route saw it (a malformed request line,
 * headers too large, a request too slow), on the raw socket, in the same `{"message"}` shape.
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
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function sendMessage(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ message });
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
