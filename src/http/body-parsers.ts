import type { FastifyInstance } from 'fastify';
import { AuthError } from '../core/errors.js';

/**
 * Parses `application/x-www-form-urlencoded` into an object without a prototype, so no field
 * name (`__proto__`, `constructor`) can reach `Object.prototype`. A field sent twice is
 * refused: which of two values a server picks is how parameter-pollution attacks start
 * (ASVS 15.3.7).
 */
export function parseFormFields(body: string): Record<string, string> {
  const fields = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(fields, name)) throw new AuthError('invalid_input', `field sent more than once: ${name}`);
    fields[name] = value;
  }
  return fields;
}

/**
 * Accepts form fields and JSON, nothing else. JSON stays with Fastify's own parser, which
 * refuses prototype poisoning; its `text/plain` parser goes, so such a body gets a 415.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseFormFields(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
