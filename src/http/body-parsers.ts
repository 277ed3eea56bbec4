import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

const repeated = (name: string) => new HttpError('invalid_request', `field sent more than once: ${name}`);

// Fatal: a lenient decoder turns every invalid sequence into U+FFFD, so two different byte
// strings would become one password. The BOM is kept as a character, as the WHATWG form
// decoder and Fastify's string bodies keep it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as UTF-8 text; an `invalid_request` naming what was sent when a byte sequence is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array, what = 'request body'): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new HttpError('invalid_request', `${what} is not valid UTF-8`);
  }
}

const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;

/**
 * One name or value of a form body, decoded as the WHATWG URL standard's
 * `application/x-www-form-urlencoded` parser does (`+` is a space, a `%` not followed by two
 * hex digits stays as it is), except that percent-encoded bytes that are not UTF-8 are refused
 * rather than replaced.
 */
function decodeFormComponent(raw: string, what: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  const bytes = Buffer.from(raw, 'utf8');
  // Decoding only shortens, so the bytes are rewritten in place.
  let length = 0;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index]!;
    const high = byte === PERCENT ? hexValue(bytes[index + 1]) : -1;
    const low = high < 0 ? -1 : hexValue(bytes[index + 2]);
    if (low >= 0) {
      bytes[length] = high * 16 + low;
      index += 2;
    } else {
      bytes[length] = byte === PLUS ? SPACE : byte;
    }
    length += 1;
  }
  return decodeUtf8(bytes.subarray(0, length), what);
}

/** The value of one ASCII hex digit, or -1. */
function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * Parses `application/x-www-form-urlencoded` into an object without a prototype, so no field
 * name (`__proto__`, `constructor`) can reach `Object.prototype`. A field sent twice is
 * refused: which of two values a server picks is how parameter-pollution attacks start
 * (ASVS 15.3.7). So is a field whose percent-encoded bytes are not UTF-8.
 */
export function parseFormFields(body: string): Record<string, string> {
  const fields = Object.create(null) as Record<string, string>;
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const name = decodeFormComponent(separator < 0 ? pair : pair.slice(0, separator), 'a field name');
    const value = separator < 0 ? '' : decodeFormComponent(pair.slice(separator + 1), name);
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
 * such a body gets a 415, as does another charset; bytes that are not UTF-8 get a 400. JSON
 * is checked for repeated keys, then parsed by Fastify's own parser, which refuses prototype
 * poisoning.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (request, body, done) => {
    const charsetError = refusedCharset(request);
    if (charsetError) {
      done(charsetError, undefined);
      return;
    }
    try {
      done(null, parseFormFields(decodeUtf8(body as Buffer)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      const charsetError = refusedCharset(request);
      if (charsetError) throw charsetError;
      text = decodeUtf8(body as Buffer);
      const key = findRepeatedJsonKey(text);
      if (key !== null) throw repeated(key);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    void parseJson(request, text, done);
  });
}
