import Fastify from 'fastify';

/** The HTTP limit: a bare Fastify route returning a constant JSON, no logging, no hooks. */
const app = Fastify();
app.get('/', () => ({ message: 'Bienvenue' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening ${address}`);
process.once('SIGTERM', () => void app.close());
