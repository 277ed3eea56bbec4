import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

const repeated = (name: string) => new HttpError('invalid_request', `field sent more than once: ${name}`);

/**
 * Parses `application/x-www-form-urlencoded` into an object without a prototype, so no field
 * name (`__proto__`, `constructor`) can reach `Object.prototype`. A field sent twice is
 * refused: which of two values a server picks is how parameter-pollution attacks start
 * (ASVS 15.3.7).
 */
export function parseFormFields(body: string): Record<string, string> {
  const fields = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(fields, name)) throw repeated(name);
    fields[name] = value;
  }
  return fields;
}

/**
 * The first key that appears twice in one object of a JSON text, at any depth, or null.
 * `JSON.parse` silently keeps the last of two keys; this scan finds them first. It reads
 * only string, object and array boundaries, so a malformed text is left for the parser to
 * refuse.
 */
export function findRepeatedJsonKey(text: string): string | null {
  // One entry per open object (the keys seen so far) or array (null).
  const scopes: Array<Set<string> | null> = [];
  let atKey = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const scope = scopes.at(-1);
      if (atKey && scope) {
        let key: string;
        try {
          key = JSON.parse(text.slice(index, end + 1)) as string;
        } catch {
          return null;
        }
        if (scope.has(key)) return key;
        scope.add(key);
        atKey = false;
      }
      index = end;
    } else if (char === '{') {
      scopes.push(new Set());
      atKey = true;
    } else if (char === '[') {
      scopes.push(null);
      atKey = false;
    } else if (char === '}' || char === ']') {
      scopes.pop();
      atKey = false;
    } else if (char === ',') {
      atKey = scopes.at(-1) instanceof Set;
    }
  }
  return null;
}

/**
 * The body's declared charset, when it is not UTF-8: a body is only ever decoded as UTF-8, and
 * decoding a Latin-1 or UTF-16 body as UTF-8 would turn one password into another.
 */
function refusedCharset(request: FastifyRequest): HttpError | null {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (charset === undefined || /^utf-?8$/i.test(charset)) return null;
  return new HttpError('unsupported_charset', 'unsupported charset: send UTF-8');
}

/**
 * Accepts form fields and JSON in UTF-8, nothing else: Fastify's `text/plain` parser goes, so
 * such a body gets a 415, as does another charset. JSON is checked for repeated keys, then parsed by Fastify's own parser,
 * which refuses prototype poisoning.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    const charsetError = refusedCharset(request);
    if (charsetError) {
      done(charsetError, undefined);
      return;
    }
    try {
      done(null, parseFormFields(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    const key = findRepeatedJsonKey(text);
    const error = refusedCharset(request) ?? (key === null ? null : repeated(key));
    if (error) {
      done(error, undefined);
      return;
    }
    void parseJson(request, text, done);
  });
}
