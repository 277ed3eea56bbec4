import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import type { Auth } from '../../core/auth.js';
import { AuthError } from '../../core/errors.js';
import { isSameSecret } from '../../core/secrets.js';
import { readBearerToken } from '../authenticate.js';
import { AdminErrorReply } from '../schemas.js';
import { refuseUnlessLocalTool } from './admin-api.js';

/** What serves the exposition text. */
export interface MetricsSource {
  scrape(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export interface MetricsRouteOptions {
  readonly auth: Auth;
  readonly source: MetricsSource;
  /** `SESAME_METRICS_TOKEN`, or null. */
  readonly token: string | null;
  /**
   * `main`: only the metrics token opens it. `admin`: on the admin listener, the metrics token,
   * or what opens /admin there (the admin token, or being a local tool when it has none).
   */
  readonly listener: 'main' | 'admin';
  /** Whether the admin API takes a token (the admin listener's rule). */
  readonly hasAdminToken: boolean;
}

const config = { errorFamily: 'admin' as const };

/**
 * `GET /metrics`, the Prometheus text exposition (docs/monitoring.md). Never open on the public
 * port: there it is registered only with a token, compared in constant time.
 */
export const metricsRoute: FastifyPluginAsyncJsonSchemaToTs<{ Options: MetricsRouteOptions }> = async (app, { auth, source, token, listener, hasAdminToken }) => {
  const authorize = async (request: FastifyRequest): Promise<void> => {
    const presented = readBearerToken(request);
    if (token !== null && presented !== null && isSameSecret(presented, token)) return;
    if (listener === 'admin' && hasAdminToken) {
      auth.authorizeAdmin(presented || null);
      return;
    }
    if (listener === 'admin' && token === null) {
      refuseUnlessLocalTool(request);
      return;
    }
    throw new AuthError('invalid_client', 'the metrics token is missing or wrong');
  };
  app.get(
    '/metrics',
    {
      config,
      preHandler: authorize,
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics, in the text exposition format (docs/monitoring.md)',
        security: [{ metricsToken: [] }],
        response: {
          200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          401: { ...AdminErrorReply, description: '`invalid_client`: no metrics token, or not the right one' },
          403: { ...AdminErrorReply, description: '`cross_site`: the admin listener without a token answers only local clients that are not browsers' },
        },
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await source.scrape();
      // The series name no user, but say how busy the service is: no cache may keep them.
      return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
    },
  );
};
