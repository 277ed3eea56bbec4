import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import type { Auth } from '../../core/auth.js';
import { HttpError } from '../http-error.js';
import { readBearerToken } from '../authenticate.js';
import { signingIn, type ClientView } from '../client-address.js';
import { EmptyReply, FORM_OR_JSON, IntrospectionReply, OAuthErrorReply, OAuthErrors as E, TokenBody, TokenOnlyBody, TokenReply, wwwAuthenticate } from '../schemas.js';

export interface TokenApiOptions {
  readonly auth: Auth;
  /** Where a request came from. */
  readonly client: (request: FastifyRequest) => ClientView;
}

const tags = ['token API'];
// Errors of these routes are RFC 6749 §5.2 bodies.
const config = { errorFamily: 'oauth' as const };
// What every route here can answer, a body being refused included.
const always = { 400: E.badRequest, 413: E.tooLarge, 415: E.unsupportedType, 500: E.internal, 503: E.unavailable } as const;

function required(value: string | undefined, name: string, grant: string): string {
  if (value === undefined) throw new HttpError('invalid_request', `${name} is required for grant_type=${grant}`);
  return value;
}

/** `/token`, `/revoke` and `/introspect` (DESIGN.md §3). */
export const tokenApi: FastifyPluginAsyncJsonSchemaToTs<{ Options: TokenApiOptions }> = async (app, { auth, client }) => {
  app.post(
    '/token',
    {
      config,
      schema: {
        tags,
        summary: 'Exchange a password or a refresh token for an access token and a new refresh token',
        consumes: FORM_OR_JSON,
        body: TokenBody,
        response: {
          200: {
            ...TokenReply,
            description: 'RFC 6749 §5.1',
            headers: { 'cache-control': { type: 'string', description: '`no-store`' }, pragma: { type: 'string', description: '`no-cache`' } },
          },
          ...always,
          400: { ...OAuthErrorReply, description: '`invalid_grant`: wrong email or password, or a refresh token that is unknown, expired, reused or of an ended session; `unsupported_grant_type`; `invalid_request`: a parameter missing, repeated or malformed' },
          429: E.rateLimited,
        },
      },
    },
    async (request, reply) => {
      const { grant_type: grant, username, password, refresh_token: refreshToken } = request.body;
      let pair;
      if (grant === 'password') {
        const from = signingIn(client(request), request);
        pair = await auth.grantTokens(required(username, 'username', grant), required(password, 'password', grant), from);
      } else if (grant === 'refresh_token') {
        pair = await auth.refreshTokens(required(refreshToken, 'refresh_token', grant), client(request));
      } else {
        throw new HttpError('unsupported_grant_type', 'grant_type must be password or refresh_token');
      }
      // RFC 6749 §5.1: no cache may keep a token (Cache-Control: no-store is set on every answer).
      void reply.header('pragma', 'no-cache');
      return {
        access_token: pair.accessToken,
        token_type: 'Bearer' as const,
        expires_in: pair.expiresInSeconds,
        refresh_token: pair.refreshToken,
      };
    },
  );

  app.post(
    '/revoke',
    {
      config,
      schema: {
        tags,
        summary: "Revoke an access or refresh token: ends its session (RFC 7009); 200 for unknown tokens too",
        consumes: FORM_OR_JSON,
        body: TokenOnlyBody,
        response: { 200: { ...EmptyReply, description: 'Revoked, or unknown: the same answer (RFC 7009 §2.2)' }, ...always },
      },
    },
    async (request) => {
      await auth.revokeToken(request.body.token, client(request));
      return {};
    },
  );

  app.post(
    '/introspect',
    {
      config,
      // The caller proves itself before its request is read.
      onRequest: async (request) => auth.authorizeIntrospection(readBearerToken(request) || null),
      schema: {
        tags,
        summary: 'What a token says, if it is valid and its session live (RFC 7662)',
        consumes: FORM_OR_JSON,
        security: [{ introspectionToken: [] }],
        body: TokenOnlyBody,
        response: {
          200: { ...IntrospectionReply, description: 'The token\'s claims with `active: true`, or only `{"active": false}`' },
          ...always,
          401: { ...OAuthErrorReply, headers: wwwAuthenticate, description: '`invalid_client`: SESAME_INTROSPECTION_TOKEN is set and the request does not carry it' },
        },
      },
    },
    async (request) => auth.introspectToken(request.body.token),
  );
};
