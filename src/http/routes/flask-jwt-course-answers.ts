import type { FastifyRequest } from 'fastify';

// The Flask-JWT-Extended course's answers and how it read its requests (flask-jwt-course.md):
// flask-smorest's error bodies, marshmallow's field errors, and Flask-JWT-Extended's header rules.

/** The fields of the course's register and log-in bodies. */
export const CREDENTIAL_FIELDS = ['username', 'password'] as const;

/** A contract answer with its exact body. */
export class Answer extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
  ) {
    super('contract answer');
  }
}

// Flask-JWT-Extended's errors as the course's callbacks word them (app.py): note `message` for
// some and `description` for others, as the original.
const TOKEN_ERRORS = {
  missing: { description: 'Request does not contain an access token.', error: 'authorization_required' },
  invalid: { message: 'Signature verification failed.', error: 'invalid_token' },
  expired: { message: 'The token has expired.', error: 'token_expired' },
  revoked: { description: 'The token has been revoked.', error: 'token_revoked' },
  notFresh: { description: 'The token is not fresh.', error: 'fresh_token_required' },
} as const;
export const tokenAnswer = (kind: keyof typeof TOKEN_ERRORS) => new Answer(401, TOKEN_ERRORS[kind]);
export const smorest = (code: number, status: string, more: object = {}) => new Answer(code, { code, status, ...more });
export const notFound = () => smorest(404, 'Not Found');

/**
 * The body's `username` and `password`, refused as marshmallow refuses them: 422 with, per
 * field, why. A body that is not JSON is no fields, as flask-smorest read only JSON.
 */
export function credentialsOf(request: FastifyRequest): { username: string; password: string } {
  const isJson = /^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '');
  const body: unknown = isJson ? request.body : {};
  const invalid = (errors: object) => smorest(422, 'Unprocessable Entity', { errors: { json: errors } });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid({ _schema: ['Invalid input type.'] });
  const fields = body as Record<string, unknown>;
  const errors: Record<string, string[]> = {};
  for (const name of Object.keys(fields)) if (!(CREDENTIAL_FIELDS as readonly string[]).includes(name)) errors[name] = ['Unknown field.'];
  for (const name of CREDENTIAL_FIELDS) {
    if (!(name in fields)) errors[name] = ['Missing data for required field.'];
    else if (fields[name] === null) errors[name] = ['Field may not be null.'];
    else if (typeof fields[name] !== 'string') errors[name] = ['Not a valid string.'];
  }
  if (Object.keys(errors).length > 0) throw invalid(errors);
  return fields as { username: string; password: string };
}

/**
 * The token of `Authorization: Bearer <token>` as Flask-JWT-Extended reads it: the scheme
 * exactly `Bearer`, then exactly one more word.
 */
export function bearerOf(request: FastifyRequest): string {
  const parts = (request.headers.authorization ?? '').split(' ');
  if (parts[0] !== 'Bearer') throw tokenAnswer('missing');
  if (parts.length !== 2 || parts[1] === '') throw tokenAnswer('invalid');
  return parts[1]!;
}
