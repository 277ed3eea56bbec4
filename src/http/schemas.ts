// Plain JSON Schema, `as const` so that the routes' type provider (json-schema-to-ts) types
// bodies and replies from it at compile time. A schema builder such as TypeBox cost a quarter
// of a second at start and 8-10 MB of resident memory for the same objects.
const string = { type: 'string' } as const;

// Bodies: fields are strings, nothing else (no arrays, objects or numbers). Unknown fields
// are allowed and ignored; the handlers read only the fields named here.
const email = { type: 'string', description: 'The email address, as the user typed it' } as const;
const password = { type: 'string', description: 'The password, verified exactly as sent' } as const;
const newPassword = { type: 'string', description: 'The new password' } as const;
const resetToken = { type: 'string', description: 'The token from POST /reset_password' } as const;

export const CredentialsBody = { type: 'object', required: ['email', 'password'], properties: { email, password } } as const;
export const EmailBody = { type: 'object', required: ['email'], properties: { email } } as const;
export const ResetPasswordBody = {
  type: 'object',
  required: ['email', 'reset_token', 'new_password'],
  properties: { email, reset_token: resetToken, new_password: newPassword },
} as const;
export const ChangePasswordBody = { type: 'object', required: ['password', 'new_password'], properties: { password, new_password: newPassword } } as const;

// Replies list exactly the fields they may carry: the serializer drops anything else.
export const MessageReply = { type: 'object', required: ['message'], properties: { message: string } } as const;
export const EmailMessageReply = { type: 'object', required: ['email', 'message'], properties: { email: string, message: string } } as const;
export const EmailReply = { type: 'object', required: ['email'], properties: { email: string } } as const;
export const ResetTokenReply = { type: 'object', required: ['email', 'reset_token'], properties: { email: string, reset_token: string } } as const;
/** The answer to a reset request when the token goes to the webhook receiver: the same for every email. */
export const ResetRequestedReply = {
  type: 'object',
  required: ['email', 'message'],
  properties: { email: string, message: { type: 'string', const: 'reset requested' } },
} as const;
export const StatusReply = { type: 'object', required: ['status'], properties: { status: string } } as const;

/** What session-API routes accept. Flask read `request.form`; JSON is accepted too. */
export const FORM_OR_JSON = ['application/x-www-form-urlencoded', 'application/json'];

// Answers. Every status a route can give is listed with its body, so that the OpenAPI document
// tells all of them and the serializer whitelists error bodies as it does successes. Headers
// listed are sent with every answer of that status (`openapi.ts` marks them required).
const retryAfter = { 'retry-after': { type: 'string', description: 'Seconds to wait before retrying' } } as const;
const withRetryAfter = { headers: retryAfter } as const;

/** The error answers every route of a family may give, in that family's body shape. */
export function errorAnswers<Body extends object>(body: Body) {
  return {
    badRequest: { ...body, description: 'A field missing, repeated or malformed, or a body that is neither form fields nor a JSON object' },
    tooLarge: { ...body, description: 'The body is larger than 32 KiB' },
    unsupportedType: { ...body, description: 'A body that is neither form fields nor JSON, or not in UTF-8' },
    rateLimited: { ...body, ...withRetryAfter, description: 'Too many attempts for the account or from the client' },
    crossSite: { ...body, description: 'A browser sent the request on behalf of another site' },
    internal: { ...body, description: 'An internal error; its cause goes to the log only' },
    unavailable: { ...body, ...withRetryAfter, description: 'The store or the cache is unreachable, password hashing is saturated, or the server is shutting down' },
  } as const;
}

// The token API (RFC 6749, 7009, 7662). Every parameter is a string; which ones a grant needs
// is checked by the route, so that a missing one is an `invalid_request` naming it.
export const TokenBody = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string', description: '`password` or `refresh_token`' },
    username: { type: 'string', description: 'The email (password grant)' },
    password: { type: 'string', description: 'The password (password grant)' },
    refresh_token: { type: 'string', description: 'The current refresh token (refresh grant)' },
    scope: { type: 'string', description: 'Ignored: Sesame tokens carry no scopes' },
  },
} as const;
export const TokenReply = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'refresh_token'],
  properties: {
    access_token: string,
    token_type: { type: 'string', const: 'Bearer' },
    expires_in: { type: 'integer', description: 'Seconds until the access token expires' },
    refresh_token: string,
  },
} as const;
export const TokenOnlyBody = {
  type: 'object',
  required: ['token'],
  properties: {
    token: { type: 'string', description: 'An access token or a refresh token' },
    token_type_hint: { type: 'string', description: 'Ignored: Sesame tells the two apart itself' },
  },
} as const;
// Introspection answers carry the token's custom claims, which no schema can list.
export const IntrospectionReply = { type: 'object', required: ['active'], properties: { active: { type: 'boolean' } }, additionalProperties: true } as const;
export const EmptyReply = { type: 'object', properties: {} } as const;
export const OAuthErrorReply = { type: 'object', required: ['error', 'error_description'], properties: { error: string, error_description: string } } as const;

/** Errors of the session API and the operational routes: `{"message"}` (DESIGN.md §2). */
export const SessionErrors = errorAnswers(MessageReply);
/** Errors of the token API: RFC 6749 §5.2 bodies. */
export const OAuthErrors = errorAnswers(OAuthErrorReply);
/** A 401's challenge (RFC 6750 §3). */
export const wwwAuthenticate = { 'www-authenticate': { type: 'string', description: '`Bearer error="invalid_token"` for a bad access token, else `Bearer`' } } as const;
/** An answer with no body. */
export const NoBody = { type: 'null' } as const;
// Public members only: even if a private part ('d', 'p', 'q', …) reached the reply, the
// serializer would drop it.
export const JwksReply = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kty: string, crv: string, x: string, y: string, n: string, e: string, kid: string, alg: string, use: string },
      },
    },
  },
} as const;

const strings = { type: 'array', items: string } as const;

export const ServerMetadataReply = {
  type: 'object',
  required: ['issuer', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'grant_types_supported'],
  properties: {
    issuer: string,
    token_endpoint: string,
    jwks_uri: string,
    revocation_endpoint: string,
    introspection_endpoint: string,
    grant_types_supported: strings,
    response_types_supported: strings,
    token_endpoint_auth_methods_supported: strings,
    revocation_endpoint_auth_methods_supported: strings,
    introspection_endpoint_auth_methods_supported: strings,
  },
} as const;

// The admin API and the user's own sessions. Admin bodies are JSON only and refuse unknown
// fields: an operator's misspelt field must fail, not look applied.
const time = { type: 'string', format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const claims = { type: ['object', 'null'], description: 'Custom claims of future access tokens; null for none' } as const;

export const AdminUserReply = {
  type: 'object',
  required: ['id', 'email', 'created_at', 'updated_at', 'disabled', 'locked', 'last_login_at', 'claims'],
  properties: {
    id: string,
    email: { type: 'string', description: 'As stored' },
    created_at: time,
    updated_at: time,
    disabled: { type: 'boolean', description: 'Disabled by an operator: cannot sign in, has no session' },
    locked: { type: 'boolean', description: 'Its consecutive failed log-ins reached the hard limit; `POST …/unlock` clears it' },
    last_login_at: { type: ['string', 'null'], format: 'date-time', description: 'The last successful sign-in, or null' },
    claims: { ...claims, additionalProperties: true },
  },
} as const;
export const UserPageReply = {
  type: 'object',
  required: ['users', 'next_cursor'],
  properties: {
    users: { type: 'array', items: AdminUserReply },
    next_cursor: { ...nullableString, description: 'Pass as `cursor` for the next page; null when there is none' },
  },
} as const;

const sessionProperties = {
  id: string,
  kind: {
    type: 'string',
    enum: ['cookie', 'token', 'console'],
    description: '`cookie`: from POST /sessions; `token`: from POST /token; `console`: an operator signed in to the admin console',
  },
  created_at: time,
  last_seen_at: time,
  expires_at: { ...time, description: 'When it ends at the latest, unless used (idle timeout) or ended before' },
  client_address: { ...nullableString, description: 'The client address at sign-in' },
  user_agent: { ...nullableString, description: 'The User-Agent at sign-in, cut to 256 characters' },
} as const;
const sessionFields = ['id', 'kind', 'created_at', 'last_seen_at', 'expires_at', 'client_address', 'user_agent'] as const;
export const SessionListReply = {
  type: 'object',
  required: ['sessions'],
  properties: { sessions: { type: 'array', items: { type: 'object', required: sessionFields, properties: sessionProperties } } },
} as const;
export const OwnSessionListReply = {
  type: 'object',
  required: ['sessions'],
  properties: {
    sessions: {
      type: 'array',
      items: {
        type: 'object',
        required: [...sessionFields, 'current'],
        properties: { ...sessionProperties, current: { type: 'boolean', description: 'The session this request came with' } },
      },
    },
  },
} as const;
export const EndedReply = { type: 'object', required: ['ended'], properties: { ended: { type: 'integer', description: 'How many sessions ended' } } } as const;

export const CreateUserBody = { type: 'object', required: ['email', 'password'], additionalProperties: false, properties: { email, password } } as const;
export const UpdateUserBody = {
  type: 'object',
  additionalProperties: false,
  description: 'At least one field',
  properties: {
    disabled: { type: 'boolean', description: 'true: the user cannot sign in, and every session of theirs ends; false: enabled again' },
    claims,
    email: { type: 'string', description: 'A new email: every session of the user ends' },
  },
} as const;
export const SetPasswordBody = { type: 'object', required: ['password'], additionalProperties: false, properties: { password: newPassword } } as const;
export const UserListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    order: { type: 'string', enum: ['newest', 'oldest'], default: 'newest', description: 'By creation time' },
    limit: { type: 'string', description: 'Users per page, 1 to 500; 50 when absent' },
    cursor: { type: 'string', description: 'The `next_cursor` of the page before' },
    email: { type: 'string', description: 'Only users whose email, lower-cased, starts with this' },
    state: { type: 'string', enum: ['active', 'disabled', 'locked'], description: '`active`: neither disabled nor locked' },
  },
} as const;
export const UserRefParams = {
  type: 'object',
  required: ['ref'],
  properties: { ref: { type: 'string', minLength: 1, description: "The user's id, or its email (anything with an `@`), percent-encoded" } },
} as const;
export const UserSessionParams = {
  type: 'object',
  required: ['ref', 'session_id'],
  properties: { ...UserRefParams.properties, session_id: string },
} as const;
export const SessionIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'A session id from GET /sessions' } } } as const;

export const AdminErrorReply = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: {
      type: 'string',
      description:
        'A stable code: `invalid_request`, `invalid_input` (400), `invalid_client` (401), `cross_site` (403), `user_not_found`, `session_not_found` (404), ' +
        '`email_taken` (409), `unsupported_media_type`, `unsupported_charset` (415), `rate_limited` (429), `overloaded`, `unavailable` (503), `internal_error` (500)',
    }, message: string },
} as const;
/** Errors of the admin API: `{"error", "message"}`. */
export const AdminErrors = errorAnswers(AdminErrorReply);
