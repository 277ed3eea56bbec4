import { Type } from 'typebox';

// Bodies: fields are strings, nothing else (no arrays, objects or numbers). Unknown fields
// are allowed and ignored; the handlers read only the fields named here.
const email = Type.String({ description: 'The email address, as the user typed it' });
const password = Type.String({ description: 'The password, verified exactly as sent' });
const newPassword = Type.String({ description: 'The new password' });
const resetToken = Type.String({ description: 'The token from POST /reset_password' });

export const CredentialsBody = Type.Object({ email, password });
export const EmailBody = Type.Object({ email });
export const ResetPasswordBody = Type.Object({ email, reset_token: resetToken, new_password: newPassword });
export const ChangePasswordBody = Type.Object({ password, new_password: newPassword });

// Replies list exactly the fields they may carry: the serializer drops anything else.
export const MessageReply = Type.Object({ message: Type.String() });
export const EmailMessageReply = Type.Object({ email: Type.String(), message: Type.String() });
export const EmailReply = Type.Object({ email: Type.String() });
export const ResetTokenReply = Type.Object({ email: Type.String(), reset_token: Type.String() });
/** The answer to a reset request when the token goes to the webhook receiver: the same for every email. */
export const ResetRequestedReply = Type.Object({ email: Type.String(), message: Type.Literal('reset requested') });
export const StatusReply = Type.Object({ status: Type.String() });

/** What session-API routes accept. Flask read `request.form`; JSON is accepted too. */
export const FORM_OR_JSON = ['application/x-www-form-urlencoded', 'application/json'];

// The token API (RFC 6749, 7009, 7662). Every parameter is a string; which ones a grant needs
// is checked by the route, so that a missing one is an `invalid_request` naming it.
export const TokenBody = Type.Object({
  grant_type: Type.String({ description: '`password` or `refresh_token`' }),
  username: Type.Optional(Type.String({ description: 'The email (password grant)' })),
  password: Type.Optional(Type.String({ description: 'The password (password grant)' })),
  refresh_token: Type.Optional(Type.String({ description: 'The current refresh token (refresh grant)' })),
  scope: Type.Optional(Type.String({ description: 'Ignored: Sesame tokens carry no scopes' })),
});
export const TokenReply = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  refresh_token: Type.String(),
});
export const TokenOnlyBody = Type.Object({
  token: Type.String({ description: 'An access token or a refresh token' }),
  token_type_hint: Type.Optional(Type.String({ description: 'Ignored: Sesame tells the two apart itself' })),
});
// Introspection answers carry the token's custom claims, which no schema can list.
export const IntrospectionReply = Type.Object({ active: Type.Boolean() }, { additionalProperties: true });
export const EmptyReply = Type.Object({});
export const OAuthErrorReply = Type.Object({ error: Type.String(), error_description: Type.String() });
// Public members only: even if a private part ('d', 'p', 'q', …) reached the reply, the
// serializer would drop it.
const publicJwkMember = Type.Optional(Type.String());
export const JwksReply = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: publicJwkMember,
      crv: publicJwkMember,
      x: publicJwkMember,
      y: publicJwkMember,
      n: publicJwkMember,
      e: publicJwkMember,
      kid: publicJwkMember,
      alg: publicJwkMember,
      use: publicJwkMember,
    }),
  ),
});
