import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

/**
 * Checks that an answer Sesame gave is one its OpenAPI document promises: the status is listed
 * for the operation, the body matches that status's schema (or is empty when it has none), and
 * every header the document marks required is there. The HTTP test clients pass every answer
 * they observe through here, so a route that answers what its document does not say fails the
 * test that saw it.
 */

interface MediaType {
  readonly schema?: object;
}
interface ResponseObject {
  readonly content?: Record<string, MediaType>;
  readonly headers?: Record<string, { readonly required?: boolean }>;
}
interface Operation {
  readonly responses: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Operation>>;
}

export interface ObservedResponse {
  readonly method: string;
  /** The request's URL: a path, or an absolute URL. */
  readonly url: string;
  readonly status: number;
  /** Header values by lower-case name. */
  readonly header: (name: string) => string | undefined;
  readonly body: string;
}

// The document and its viewer are served but not described by the document itself.
// The pages (/ui/) are HTML for people, not API: docs/pages.md describes them.
const isUndescribed = (path: string) =>
  path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/') || path === '/ui' || path.startsWith('/ui/');

/**
 * What Sesame answers to a method and path no route has: not found, or a malformed URL, or a
 * request refused before routing mattered (a body too large, a content type refused, the
 * server closing), in the `{"message"}` shape or the shape of the API family whose path it is (a
 * 405 for a method a family's path does not take, too); and a CORS preflight, answered with no
 * body when CORS is on. OpenAPI cannot describe paths a document does not list, so it is said here.
 */
const UNROUTED: ResponseObject = {
  content: {
    'application/json': {
      schema: {
        anyOf: [
          // Under /admin, the admin API's shape: the message with a code.
          { type: 'object', required: ['message'], properties: { message: { type: 'string' }, error: { type: 'string' } }, additionalProperties: false },
          // Under /auth with python-jwt-auth on, that family's shape.
          { type: 'object', required: ['status', 'message'], properties: { status: { const: 'failed' }, message: { type: 'string' } }, additionalProperties: false },
          // On the course's paths, flask-smorest's 404 and 405.
          { type: 'object', required: ['code', 'status'], properties: { code: { enum: [404, 405] }, status: { type: 'string' } }, additionalProperties: false },
        ],
      },
    },
  },
};
// 405: a method an API family's path does not take, where its contract says so (docs/api-families.md).
const UNROUTED_STATUSES = new Set([400, 404, 405, 413, 415, 503]);

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validators = new WeakMap<object, ValidateFunction>();

function validatorOf(schema: object): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  return validate;
}

/** The path a request names, percent-decoded as the router decodes it. */
function pathOf(url: string): string {
  const raw = url.startsWith('/') ? url.replace(/[?#].*$/s, '') : new URL(url).pathname;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The document's path item for `url`: the one named exactly, else the one whose template
 * (`/admin/users/{ref}`) it fills, segment by segment (a parameter never spans a `/` the client
 * sent, even percent-encoded, and may be empty, as the router lets it be).
 */
function pathItemOf(document: OpenApiDocument, url: string): Record<string, Operation> | undefined {
  const exact = document.paths[pathOf(url)];
  if (exact) return exact;
  const segments = (url.startsWith('/') ? url.replace(/[?#].*$/s, '') : new URL(url).pathname).split('/');
  const template = Object.keys(document.paths).find((candidate) => {
    const parts = candidate.split('/');
    return parts.length === segments.length && parts.every((part, index) => /^\{[^}]+\}$/.test(part) || part === segments[index]);
  });
  return template === undefined ? undefined : document.paths[template];
}

/** Throws an error naming the mismatch when `observed` is not an answer `document` lists. */
export function assertConforms(document: OpenApiDocument, observed: ObservedResponse): void {
  const path = pathOf(observed.url);
  if (isUndescribed(path)) return;
  const method = observed.method.toUpperCase();
  // Fastify answers HEAD for every GET route: the GET's statuses and headers, without the body.
  const operation = pathItemOf(document, observed.url)?.[method === 'HEAD' ? 'get' : method.toLowerCase()];
  const what = `${method} ${path} answered ${observed.status}`;
  let response: ResponseObject | undefined;
  if (operation) {
    response = operation.responses[String(observed.status)] ?? operation.responses[`${String(observed.status).charAt(0)}XX`];
    if (!response) throw new Error(`OpenAPI: ${what}, which the document does not list (it lists ${Object.keys(operation.responses).join(', ')})`);
  } else if (method === 'OPTIONS' && observed.status === 204) {
    response = {};
  } else if (UNROUTED_STATUSES.has(observed.status)) {
    response = UNROUTED;
  } else {
    throw new Error(`OpenAPI: ${what}, but the document has no ${method} ${path}: only ${[...UNROUTED_STATUSES].join(', ')} may answer it`);
  }

  for (const [name, header] of Object.entries(response.headers ?? {})) {
    if (header.required && observed.header(name.toLowerCase()) === undefined) throw new Error(`OpenAPI: ${what} without the ${name} header the document requires`);
  }
  if (method === 'HEAD') return;
  const content = response.content;
  if (!content) {
    if (observed.body !== '') throw new Error(`OpenAPI: ${what} with a body where the document says none: ${observed.body.slice(0, 200)}`);
    return;
  }
  const mediaType = (observed.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const media = content[mediaType];
  if (!media) throw new Error(`OpenAPI: ${what} as "${mediaType}", where the document says ${Object.keys(content).join(' or ')}`);
  // The schema of a text answer (Prometheus' exposition) describes a string, not JSON.
  if (!media.schema || !mediaType.endsWith('json')) return;
  let body: unknown;
  try {
    body = JSON.parse(observed.body);
  } catch {
    throw new Error(`OpenAPI: ${what} with a body that is not JSON: ${observed.body.slice(0, 200)}`);
  }
  const validate = validatorOf(media.schema);
  if (!validate(body)) {
    throw new Error(`OpenAPI: ${what} with a body the document's schema refuses (${ajv.errorsText(validate.errors)}): ${observed.body.slice(0, 200)}`);
  }
}

const documentsAt = new Map<string, Promise<OpenApiDocument>>();

/**
 * The document the server at absolute `url` serves, fetched once per server. Ask for it before
 * sending a request: the answer may come from a server that stops right after it.
 */
export function documentFor(url: string): Promise<OpenApiDocument> {
  const { origin } = new URL(url);
  let document = documentsAt.get(origin);
  if (!document) {
    document = fetch(`${origin}/openapi.json`).then(async (response) => {
      if (!response.ok) throw new Error(`OpenAPI: ${origin}/openapi.json answered ${response.status}`);
      return (await response.json()) as OpenApiDocument;
    });
    // Awaited by whoever checks an answer; a request that fails first leaves it unread.
    document.catch(() => undefined);
    documentsAt.set(origin, document);
  }
  return document;
}

/** Checks a `fetch` answer from absolute `url`, its body read as `body`, against `document`. */
export async function checkFetched(document: Promise<OpenApiDocument>, url: string, method: string, response: Response, body: string): Promise<void> {
  assertConforms(await document, { method, url, status: response.status, header: (name) => response.headers.get(name) ?? undefined, body });
}

/** `fetch`, with the answer checked against the document the server serves. */
export async function checkedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const document = documentFor(url);
  const response = await fetch(url, init);
  await checkFetched(document, url, init.method ?? 'GET', response, await response.clone().text());
  return response;
}

/**
 * Makes `app.inject` check every answer against `described`, or else the document `app` serves,
 * fetched at its first answer (the admin listener serves none: its tests pass one).
 */
export function checkInjections(app: FastifyInstance, described?: OpenApiDocument): void {
  const inject = app.inject.bind(app) as (options: InjectOptions | string) => Promise<LightMyRequestResponse>;
  let document = described;
  const checked = async (options: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const response = await inject(options);
    document ??= (await inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
    const { method = 'GET', url = '/', path } = typeof options === 'string' ? { url: options, path: undefined } : options;
    const target = path ?? url;
    const header = (name: string) => {
      const value = response.headers[name];
      return value === undefined ? undefined : String(value);
    };
    assertConforms(document, {
      method,
      url: typeof target === 'string' ? target : (target.pathname ?? '/'), status: response.statusCode, header, body: response.payload });
    return response;
  };
  Object.assign(app, { inject: checked });
}
