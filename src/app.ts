import cors from '@fastify/cors';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Auth } from './core/auth.js';
import { registerBodyParsers } from './http/body-parsers.js';
import { clientOf, compileProxyTrust, requestIdOf, type ClientView, type ProxyHeader } from './http/client-address.js';
import { refuseCrossSite } from './http/cross-site.js';
import { answerClientError, answerMalformedUrl, registerErrorHandler } from './http/error-handler.js';
import { HttpError } from './http/http-error.js';
import { describedByLink, registerOpenApi } from './http/openapi.js';
import { lazyRequestLoggers, RequestLog, type RequestObserver } from './http/request-log.js';
import { setSecurityHeaders } from './http/security-headers.js';
import { health } from './http/routes/health.js';
import { jwks } from './http/routes/jwks.js';
import { metricsRoute, type MetricsSource } from './http/routes/metrics.js';
import { serverMetadata } from './http/routes/server-metadata.js';
import { sessionApi } from './http/routes/session-api.js';
import { tokenApi } from './http/routes/token-api.js';
import { adminApi } from './http/routes/admin-api.js';
import { flaskJwtCourse } from './http/routes/flask-jwt-course.js';
import { pythonJwtAuth } from './http/routes/python-jwt-auth.js';
import type { UiConfig } from './ui/ui-config.js';
import { pages } from './ui/pages.js';
import { malformedUrlPage } from './ui/page-kit.js';
import { PAGE_HEADERS } from './ui/page-security.js';
import { adminConsole, malformedConsoleUrlPage } from './ui/admin/admin-console.js';
import { version } from './version.js';

/**
 * The API families Sesame can serve (SESAME_APIS): its own session API (DESIGN.md §2) and token
 * API (§3), and two drop-in contracts of Flask services (docs/api-families.md).
 */
export const API_FAMILIES = ['session', 'token', 'python-jwt-auth', 'flask-jwt-course'] as const;
export type ApiFamily = (typeof API_FAMILIES)[number];

/** What the HTTP layer needs to know of its surroundings. */
export interface HttpConfig {
  /** Addresses and CIDR ranges of the proxies whose forwarding header is believed; empty: none. */
  readonly trustProxy: readonly string[];
  /** The forwarding header those proxies set. */
  readonly proxyHeader: ProxyHeader;
  /** The session cookie's name, and whether it is always Secure or only when the client came over https. */
  readonly cookie: { readonly name: string; readonly secure: 'auto' | 'always' };
  /** Origins whose browser requests are not cross-site, beyond Sesame's own. */
  readonly trustedOrigins: readonly string[];
  /** Origins allowed to call Sesame from a browser with credentials (CORS); empty: CORS off. */
  readonly corsOrigins: readonly string[];
  /** Whether `/docs` renders the OpenAPI document (`/openapi.json` is served either way). */
  readonly hasDocsPage: boolean;
  /** The admin API, or null when it is off. */
  readonly admin: AdminHttpConfig | null;
  /** Where /metrics is served, or null when metrics are off. */
  readonly metrics: MetricsHttpConfig | null;
  /** What the RFC 8414 metadata says: `SESAME_ISSUER`, and whether `/introspect` is open. */
  readonly authorizationServer: { readonly issuer: string; readonly isIntrospectionOpen: boolean };
  /** The API families served, in the order SESAME_APIS lists them. */
  readonly apis: readonly ApiFamily[];
  /** The pages under /ui/ (SESAME_UI), or null when they are off. */
  readonly ui: UiConfig | null;
}

/** Where the admin API is served and how its callers prove themselves. */
export interface AdminHttpConfig {
  /** `main`: under /admin on the main listener; `own`: only on the admin listener (`buildAdminApp`), never on the main one. */
  readonly listener: 'main' | 'own';
  /** Whether every call must carry the admin token; false only on a loopback admin listener (compat profile). */
  readonly hasToken: boolean;
}

/** Where the Prometheus metrics are served (docs/monitoring.md). */
export interface MetricsHttpConfig {
  /** `admin`: on the admin listener only, under its rules; `main`: at /metrics on the main listener, behind `token`. */
  readonly listener: 'main' | 'admin';
  /** `SESAME_METRICS_TOKEN`: the Bearer token a scraper presents; required on the main listener. */
  readonly token: string | null;
}

/** The metrics as the HTTP layer sees them: told of each request, and scraped at /metrics. */
export type HttpMetrics = RequestObserver & MetricsSource;

export interface AppOptions {
  readonly auth: Auth;
  readonly logger: Logger;
  readonly http: HttpConfig;
  /** Present when `http.metrics` is on. */
  readonly metrics?: HttpMetrics;
}

// The largest valid body is a 4 KiB password percent-encoded (up to 12 KiB) with an email.
const BODY_LIMIT_BYTES = 32 * 1024;
// Slow clients may not hold a connection open indefinitely (slowloris).
const REQUEST_TIMEOUT_MS = 15_000;
const HEADERS_TIMEOUT_MS = 10_000;
// Node enforces both timeouts only when it sweeps its connections, every 30 s by default: a
// slow client then held on for up to 40 s instead of 10. A sweep a second keeps them within a
// second of their values, for a walk over the open connections.
const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;

// An email of 320 characters, each percent-encoded UTF-8 (up to 3 bytes, 9 characters) at worst.
const MAX_PARAM_LENGTH = 3000;

// How long a browser may reuse a CORS preflight answer.
const CORS_MAX_AGE_SECONDS = 600;

/** Builds the HTTP application around an `Auth`. Never listens: the caller (or a test's `inject`) decides. */
export async function buildApp({ auth, logger, http, metrics }: AppOptions): Promise<FastifyInstance> {
  const { app, client } = createBase(logger, http, http.admin?.listener === 'main', metrics, http.ui);
  if (http.corsOrigins.length > 0) {
    // Listed origins are echoed exactly, with Vary: Origin; there is never a wildcard, since
    // answers carry credentials (ASVS 3.4.2).
    await app.register(cors, {
      origin: [...http.corsOrigins],
      credentials: true,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: CORS_MAX_AGE_SECONDS,
    });
  }
  await registerOpenApi(app, { version, cookieName: http.cookie.name, hasDocsPage: http.hasDocsPage });

  // The API's table of contents: the families SESAME_APIS enables, then what every deployment serves.
  const trustedOrigins = new Set([...http.trustedOrigins, ...http.corsOrigins]);
  const apis = new Set(http.apis);
  if (apis.has('session')) {
    await app.register(sessionApi, {
      auth,
      client,
      cookie: http.cookie,
      describedBy: describedByLink(http.hasDocsPage),
      loginGuard: refuseCrossSite(trustedOrigins, { isBearerExempt: false }),
      cookieGuard: refuseCrossSite(trustedOrigins, { isBearerExempt: true }),
    });
  }
  if (apis.has('token')) {
    await app.register(tokenApi, { auth, client });
    // RFC 8414 describes the token API's endpoints: without them there is nothing to describe.
    await app.register(serverMetadata, http.authorizationServer);
  }
  if (apis.has('python-jwt-auth')) await app.register(pythonJwtAuth, { prefix: '/auth', auth, client });
  if (apis.has('flask-jwt-course')) await app.register(flaskJwtCourse, { auth, client });
  if (http.ui) await app.register(pages, { prefix: '/ui', auth, client, cookie: http.cookie, ui: http.ui, trustedOrigins });
  // The admin console goes where the admin API is: never onto this listener when that is on one of its own.
  if (http.ui && http.admin?.listener === 'main') {
    await app.register(adminConsole, { prefix: '/ui/admin', auth, client, cookie: http.cookie, ui: http.ui, trustedOrigins });
  }
  await app.register(jwks, { auth });
  await app.register(health, { auth });
  if (http.admin?.listener === 'main') await app.register(adminApi, { prefix: '/admin', auth, client, hasToken: http.admin.hasToken });
  if (metrics && http.metrics?.listener === 'main') {
    await app.register(metricsRoute, { auth, source: metrics, token: http.metrics.token, listener: 'main', hasAdminToken: false });
  }

  return app;
}

/**
 * Builds the admin listener's application: the admin API alone, with the same error shapes and
 * security headers as the main one, and `listener: "admin"` on its log lines. Never listens.
 */
export async function buildAdminApp({ auth, logger, http, metrics }: AppOptions): Promise<FastifyInstance> {
  const { app, client } = createBase(logger.child({ listener: 'admin' }), http, true, metrics, null);
  const hasAdminToken = http.admin?.hasToken ?? true;
  await app.register(adminApi, { prefix: '/admin', auth, client, hasToken: hasAdminToken });
  if (metrics && http.metrics?.listener === 'admin') {
    await app.register(metricsRoute, { auth, source: metrics, token: http.metrics.token, listener: 'admin', hasAdminToken });
  }
  return app;
}

/**
 * A Fastify instance with what every answer of Sesame's needs: parsers, the error handler,
 * security headers, a graceful close; `ui` when it serves the pages.
 */
function createBase(
  logger: Logger,
  http: HttpConfig,
  isServingAdmin: boolean,
  observer: RequestObserver | undefined,
  ui: UiConfig | null,
): { app: FastifyInstance; client: (request: FastifyRequest) => ClientView } {
  const loggerInstance: FastifyBaseLogger = logger;
  // Under /ui/ a URL too malformed to route gets a page, in the console's layout under its prefix.
  const malformedPages = ui === null ? [] : [...(isServingAdmin ? [['/ui/admin/', malformedConsoleUrlPage(ui)] as const] : []), ['/ui/', malformedUrlPage(ui)] as const];
  const trust = compileProxyTrust(http.trustProxy);
  const app = Fastify({
    loggerInstance,
    childLoggerFactory: lazyRequestLoggers(logger),
    logController: new RequestLog(observer),
    // Taken from X-Request-Id only when a trusted proxy sent it (requestIdOf), never from anyone.
    requestIdHeader: false,
    genReqId: (raw) => requestIdOf(raw, trust),
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS },
    // Strings must arrive as strings: no coercion of arrays or numbers into them (ASVS 15.3.5).
    // A schema that says `additionalProperties: false` refuses an unknown field rather than
    // dropping it silently: an operator's misspelt field must not look applied.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // A path parameter may be an email (320 characters), percent-encoded.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The framework's own answers (a malformed URL, a parameter too long) take our shapes too.
    frameworkErrors: (_error, request, reply: FastifyReply) => {
      setSecurityHeaders(reply, false);
      void reply.header('x-request-id', request.id);
      const page = malformedPages.find(([prefix]) => request.url.startsWith(prefix));
      if (page !== undefined) {
        void reply.code(400).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(page[1]);
        return;
      }
      void answerMalformedUrl(reply, isServingAdmin && request.url.startsWith('/admin/') ? 'admin' : 'session');
    },
    clientErrorHandler: answerClientError,
    return503OnClosing: false,
  }).withTypeProvider<JsonSchemaToTsProvider>();

  app.decorateRequest('principal', null);
  app.decorateRequest('credential', null);
  registerBodyParsers(app);
  registerErrorHandler(app);
  // While closing, a kept-alive connection would hold the shutdown until the client let go of
  // it: answers in flight ask the client to close it, and requests still arriving on one are
  // sent elsewhere with a 503. (A subclass of Node's ServerResponse could do the first without
  // a hook, but costs every request more than the hook does.)
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const client = (request: FastifyRequest): ClientView => clientOf(request, trust, http.proxyHeader);
  app.addHook('onRequest', (request, reply, done) => {
    setSecurityHeaders(reply, trust !== null && client(request).isHttps);
    void reply.header('x-request-id', request.id);
    // In the route family's error shape, through the error handler.
    done(closing ? new HttpError('shutting_down', 'shutting down, retry shortly', 1) : undefined);
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  return { app, client };
}
