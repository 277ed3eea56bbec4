import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { Auth } from '../../core/auth.js';
import { MessageReply, StatusReply } from '../schemas.js';

export interface HealthOptions {
  readonly auth: Auth;
}

const tags = ['operations'];

/** Liveness (the process answers) and readiness (the store and the cache answer too), for orchestrators. */
export const health: FastifyPluginAsyncJsonSchemaToTs<{ Options: HealthOptions }> = async (app, { auth }) => {
  app.get(
    '/health',
    { schema: { tags, summary: 'Liveness', response: { 200: StatusReply } } },
    () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    { schema: { tags, summary: 'Readiness: the store and the cache answer', response: { 200: StatusReply, 503: MessageReply } } },
    async () => {
      // An unreachable store or cache is a StoreUnavailableError or CacheUnavailableError: the error handler answers 503.
      await auth.checkReady();
      return { status: 'ready' };
    },
  );
};
