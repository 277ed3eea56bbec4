import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { ServerMetadataReply, SessionErrors as E } from '../schemas.js';

export interface ServerMetadataOptions {
  /** `SESAME_ISSUER`, the `iss` of every access token. */
  readonly issuer: string;
  /** Whether `/introspect` is open (no `SESAME_INTROSPECTION_TOKEN`). */
  readonly isIntrospectionOpen: boolean;
}

/**
 * The issuer as RFC 8414 §2 wants it, or null when it is not one: an absolute https URL without
 * a query or a fragment (http only on a loopback host, for a local trial). Without a trailing
 * slash, so that endpoints join it with one.
 */
export function issuerUrl(issuer: string): string | null {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return null;
  }
  const isLoopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback))) return null;
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) return null;
  return issuer.replace(/\/+$/, '');
}

/**
 * RFC 8414 OAuth 2.0 Authorization Server Metadata, for libraries that discover the token API.
 * Every URL is the configured issuer's, never the request's `Host` (a client could make Sesame
 * announce another server's endpoints). Registered only when the issuer is a URL that RFC 8414
 * allows; otherwise the path is a 404. No authorization endpoint: Sesame has only the password
 * and refresh-token grants, for first-party services, and no client registration, so clients
 * do not authenticate at `/token` or `/revoke` (`none`).
 */
export const serverMetadata: FastifyPluginAsyncJsonSchemaToTs<{ Options: ServerMetadataOptions }> = async (app, { issuer, isIntrospectionOpen }) => {
  const base = issuerUrl(issuer);
  if (base === null) return;
  const document = {
    issuer,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    revocation_endpoint: `${base}/revoke`,
    introspection_endpoint: `${base}/introspect`,
    grant_types_supported: ['password', 'refresh_token'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    // A bearer token has no registered name here; RFC 8414 §2 leaves the field out then, for "other means" (docs/tokens.md).
    ...(isIntrospectionOpen ? { introspection_endpoint_auth_methods_supported: ['none'] } : {}),
  };
  app.get(
    '/.well-known/oauth-authorization-server',
    {
      schema: {
        tags: ['token API'],
        summary: "The token API's endpoints and what they support (RFC 8414), every URL under SESAME_ISSUER",
        response: { 200: { ...ServerMetadataReply, description: 'RFC 8414 §3.2' }, 500: E.internal, 503: E.unavailable },
      },
    },
    () => document,
  );
};
