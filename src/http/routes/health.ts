import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { Auth } from '../../core/auth.js';
import { SessionErrors as E, StatusReply } from '../schemas.js';

export interface HealthOptions {
  readonly auth: Auth;
}

const tags = ['operations'];

/** Liveness (the process answers) and readiness (the store and the cache answer too), for orchestrators. */
export const health: FastifyPluginAsyncJsonSchemaToTs<{ Options: HealthOptions }> = async (app, { auth }) => {
  app.get(
    '/health',
    { schema: { tags, summary: 'Liveness', response: { 200: { ...StatusReply, description: '`{"status": "ok"}`' }, 500: E.internal, 503: E.unavailable } } },
    () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    { schema: { tags, summary: 'Readiness: the store and the cache answer', response: { 200: { ...StatusReply, description: '`{"status": "ready"}`' }, 500: E.internal, 503: E.unavailable } } },
    async () => {
      // An unreachable store or cache is a StoreUnavailableError or CacheUnavailableError: the error handler answers 503.
      await auth.checkReady();
      return { status: 'ready' };
    },
  );
};
