import Fastify from 'fastify';
import { createLocalJWKSet, jwtVerify } from 'jose';

/**
 * The signature-check limit: a route verifying a Bearer access token with jose against the
 * JWK Set Sesame publishes (fetched once at start). Argument: Sesame's URL.
 */
const jwks = createLocalJWKSet((await (await fetch(`${process.argv[2]}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0]);

const app = Fastify();
app.get('/profile', async (request, reply) => {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  try {
    const { payload } = await jwtVerify(token ?? '', jwks, { typ: 'at+jwt' });
    return { email: payload.email };
  } catch {
    return reply.code(401).send({ message: 'invalid token' });
  }
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening ${address}`);
process.once('SIGTERM', () => void app.close());
