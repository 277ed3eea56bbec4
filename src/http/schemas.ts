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
function errorAnswers<Body extends object>(body: Body) {
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
