import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/** Where the OpenAPI document and the page that renders it are served. */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

// The docs page loads its scripts, styles and fonts from Sesame itself, and its document
// from /docs/json: nothing from another origin, no inline script, and no framing.
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The `Link` header (RFC 8631) that points a client at the API's description, and at the docs page when it is on. */
export function describedByLink(hasDocsPage: boolean): string {
  const document = `<${OPENAPI_PATH}>; rel="service-desc"; type="application/json"`;
  return hasDocsPage ? `<${DOCS_PATH}>; rel="service-doc", ${document}` : document;
}

/** Response headers, where a document has them. */
type ResponsesOf = Record<string, { headers?: Record<string, { required?: boolean }> }>;

/**
 * Headers a response schema lists are sent with every answer of that status: the document says
 * so with `required`, which a schema's `headers` cannot carry through @fastify/swagger.
 */
const markHeadersRequired: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject;
  for (const item of Object.values(document.openapiObject.paths ?? {})) {
    for (const operation of Object.values(item ?? {})) {
      const { responses } = operation as { responses?: ResponsesOf };
      for (const response of Object.values(responses ?? {})) {
        for (const header of Object.values(response.headers ?? {})) header.required = true;
      }
    }
  }
  return document.openapiObject;
};

/**
 * Describes every route registered after it in OpenAPI 3.1, served at `/openapi.json`; with
 * `hasDocsPage`, also renders it at `/docs` from assets served locally.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  { version, cookieName, hasDocsPage }: { readonly version: string; readonly cookieName: string; readonly hasDocsPage: boolean },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sesame',
        description: 'A small, fast, secure user authentication service.',
        version,
      },
      components: {
        securitySchemes: {
          sessionCookie: { type: 'apiKey', in: 'cookie', name: cookieName },
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          introspectionToken: { type: 'http', scheme: 'bearer', description: 'SESAME_INTROSPECTION_TOKEN' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'SESAME_ADMIN_TOKEN: the admin API\'s token' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'SESAME_METRICS_TOKEN: the Prometheus scraper\'s token' },
        },
      },
    },
    transformObject: markHeadersRequired,
  });
  if (hasDocsPage) {
    // Loaded only when the page is on: it and its static-file server cost memory otherwise.
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    await app.register(swaggerUi, {
      routePrefix: DOCS_PATH,
      staticCSP: DOCS_CSP,
      theme: { title: 'Sesame API' },
    });
  }
  app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());
}
