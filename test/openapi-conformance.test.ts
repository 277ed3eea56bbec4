import { describe, expect, it } from 'vitest';
import { assertConforms, type ObservedResponse, type OpenApiDocument } from './support/openapi-conformance.js';

const message = { type: 'object', required: ['message'], properties: { message: { type: 'string' } } };
const json = (schema: object) => ({ 'application/json': { schema } });
const document: OpenApiDocument = {
  paths: {
    '/sessions': {
      delete: {
        responses: {
          302: { headers: { location: { required: true } } },
          403: { content: json(message) },
        },
      },
    },
    '/': { get: { responses: { 200: { content: json(message) } } } },
    '/admin/users/{ref}': { get: { responses: { 404: { content: json(message) } } } },
  },
};

function answer(method: string, url: string, status: number, body = '', headers: Record<string, string> = {}): ObservedResponse {
  const all: Record<string, string> = { ...(body === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers };
  return { method, url, status, body, header: (name) => all[name] };
}

describe('the OpenAPI conformance check of the HTTP suites', () => {
  it('accepts what the document lists: statuses, bodies and required headers', () => {
    expect(() => assertConforms(document, answer('DELETE', '/sessions', 302, '', { location: '/' }))).not.toThrow();
    expect(() => assertConforms(document, answer('DELETE', '/sessions', 403, '{"message":"no valid session"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('GET', '/?x=1', 200, '{"message":"Bienvenue"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('GET', 'http://127.0.0.1:5000/', 200, '{"message":"Bienvenue"}'))).not.toThrow();
  });

  it('refuses a status the operation does not list', () => {
    expect(() => assertConforms(document, answer('DELETE', '/sessions', 204))).toThrow('DELETE /sessions answered 204, which the document does not list (it lists 302, 403)');
  });

  it('refuses a body its status schema refuses, a body where none is said, and a missing required header', () => {
    expect(() => assertConforms(document, answer('DELETE', '/sessions', 403, '{"error":"x"}'))).toThrow(/schema refuses/);
    expect(() => assertConforms(document, answer('DELETE', '/sessions', 403, 'oops'))).toThrow(/not JSON/);
    expect(() => assertConforms(document, answer('DELETE', '/sessions', 302, '{}', { location: '/' }))).toThrow(/says none/);
    expect(() => assertConforms(document, answer('DELETE', '/sessions', 302))).toThrow(/without the location header/);
    expect(() => assertConforms(document, answer('GET', '/', 200, '<html>', { 'content-type': 'text/html' }))).toThrow(/as "text\/html"/);
  });

  it('finds a templated path by its filled-in parameters, one segment each', () => {
    expect(() => assertConforms(document, answer('GET', '/admin/users/a%40b.io', 404, '{"message":"x"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('GET', '/admin/users/a%40b.io', 200, '{"message":"x"}'))).toThrow(/does not list/);
    expect(() => assertConforms(document, answer('GET', '/admin/users/', 404, '{"message":"x"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('GET', '/admin/users/a/b', 200, '{"message":"x"}'))).toThrow(/no GET \/admin\/users\/a\/b/);
  });

  it('checks HEAD as the GET it mirrors, without a body', () => {
    expect(() => assertConforms(document, answer('HEAD', '/', 200))).not.toThrow();
    expect(() => assertConforms(document, answer('HEAD', '/', 201))).toThrow(/HEAD \/ answered 201/);
  });

  it('lets a path or method the document lacks be only not found, refused or unavailable, in the message shape', () => {
    expect(() => assertConforms(document, answer('GET', '/nowhere', 404, '{"message":"not found"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('PUT', '/', 415, '{"message":"unsupported content type"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('GET', '/sessions', 200, '{"message":"hello"}'))).toThrow(/no GET \/sessions/);
    expect(() => assertConforms(document, answer('GET', '/nowhere', 404, '{"error":"x"}'))).toThrow(/schema refuses/);
    expect(() => assertConforms(document, answer('GET', '/docs', 200, '<html>', { 'content-type': 'text/html' }))).not.toThrow();
  });

  it("lets an API family's path answer its own 404 and 405 shapes, and nothing else", () => {
    expect(() => assertConforms(document, answer('GET', '/register', 405, '{"code":405,"status":"Method Not Allowed"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('GET', '/user/1/x', 404, '{"code":404,"status":"Not Found"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('PUT', '/auth/login', 405, '{"status":"failed","message":"method not allowed"}'))).not.toThrow();
    expect(() => assertConforms(document, answer('GET', '/register', 405, '{"code":401,"status":"Unauthorized"}'))).toThrow(/schema refuses/);
    expect(() => assertConforms(document, answer('GET', '/auth/login', 405, '{"status":"success","message":"x"}'))).toThrow(/schema refuses/);
    expect(() => assertConforms(document, answer('GET', '/register', 401, '{"code":401,"status":"Unauthorized"}'))).toThrow(/no GET \/register/);
  });
});
