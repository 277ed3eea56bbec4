import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { Auth } from '../../core/auth.js';
import { JwksReply, SessionErrors as E } from '../schemas.js';

export interface JwksOptions {
  readonly auth: Auth;
}

/** The public keys consumers verify access tokens with (RFC 7517 JWK Set). */
export const jwks: FastifyPluginAsyncJsonSchemaToTs<{ Options: JwksOptions }> = async (app, { auth }) => {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['token API'],
        summary: 'Public signing keys: the current one and those whose tokens may not have expired yet',
        response: { 200: { ...JwksReply, description: 'RFC 7517 JWK Set' }, 500: E.internal, 503: E.unavailable },
      },
    },
    () => auth.publicKeys(),
  );
};
