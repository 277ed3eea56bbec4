import { errorAnswers } from './schemas.js';

// Schemas of the two drop-in API families (docs/api-families.md). Request bodies are described
// here and checked by the routes themselves (`attachValidation`), in the order and with the
// messages the originals used.
const string = { type: 'string' } as const;

/** python-jwt-auth: every answer is `{"status", "message"[, ...]}`. */
export const PjaReply = {
  type: 'object',
  required: ['status', 'message'],
  properties: { status: { type: 'string', enum: ['success', 'failed'] }, message: string },
} as const;
export const PjaTokenReply = {
  type: 'object',
  required: ['status', 'message', 'jwt_token'],
  properties: { status: { type: 'string', const: 'success' }, message: string, jwt_token: { type: 'string', description: "A Sesame access token; it names a token session that /auth/logout ends" } },
} as const;
export const PjaUserReply = {
  type: 'object',
  required: ['status', 'message', 'details'],
  properties: {
    status: { type: 'string', const: 'success' },
    message: string,
    details: {
      type: 'object',
      required: ['email', 'name', 'admin', 'registered_on'],
      properties: {
        email: string,
        name: string,
        admin: { type: 'boolean', description: 'The `admin` or `is_admin` custom claim, when it is true' },
        registered_on: { type: 'string', description: 'When the user registered, as an HTTP date (RFC 1123)' },
      },
    },
  },
} as const;
export const PjaErrors = errorAnswers(PjaReply);
export const PjaSignupBody = {
  type: 'object',
  required: ['email', 'password', 'name'],
  properties: { email: string, password: string, name: { type: 'string', description: 'Kept as the `name` custom claim' } },
} as const;
export const PjaLoginBody = { type: 'object', required: ['email', 'password'], properties: { email: string, password: string } } as const;

/** The course's flask-smorest errors: `{"code", "status"[, "message"][, "errors"]}`. */
export const CourseErrorReply = {
  type: 'object',
  required: ['code', 'status'],
  properties: {
    code: { type: 'integer' },
    status: { type: 'string', description: 'The status\'s reason phrase' },
    message: string,
    errors: { type: 'object', description: 'Per location (`json`), the fields refused and why', additionalProperties: true },
  },
} as const;
/** Flask-JWT-Extended's token errors as the course words them: `message` or `description`, and `error`. */
export const CourseTokenErrorReply = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', enum: ['authorization_required', 'invalid_token', 'token_expired', 'token_revoked', 'fresh_token_required'] },
    message: string,
    description: string,
  },
} as const;
export const CourseErrors = errorAnswers(CourseErrorReply);
export const CourseCredentialsBody = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: { username: { type: 'string', description: 'Matched exactly; never contains @' }, password: string },
} as const;
export const CourseMessageReply = { type: 'object', required: ['message'], properties: { message: string } } as const;
export const CourseLoginReply = {
  type: 'object',
  required: ['access_token', 'refresh_token'],
  properties: { access_token: { type: 'string', description: 'Fresh' }, refresh_token: { type: 'string', description: 'Opaque, single use at /refresh' } },
} as const;
export const CourseAccessReply = { type: 'object', required: ['access_token'], properties: { access_token: { type: 'string', description: 'Not fresh' } } } as const;
export const CourseUserReply = {
  type: 'object',
  required: ['id', 'username'],
  properties: { id: { type: 'string', description: "Sesame's user id, the `sub` of the user's tokens" }, username: string },
} as const;
export const CourseUserParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', description: "Sesame's user id" } } } as const;
