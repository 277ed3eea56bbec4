import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from '../core/auth.js';
import { CacheUnavailableError } from '../core/cache.js';
import type { Principal } from '../core/deps.js';
import { AuthError } from '../core/errors.js';
import { StoreUnavailableError } from '../core/store.js';
import { readSessionToken } from '../http/authenticate.js';
import type { ClientView } from '../http/client-address.js';
import { refuseCrossSite } from '../http/cross-site.js';
import { statusOf } from '../http/error-handler.js';
import { HttpError } from '../http/http-error.js';
import type { SessionCookie } from '../http/session-cookie.js';
import { sayError } from './error-messages.js';
import { html, type Html, type HtmlValue } from './html.js';
import { layout, type LayoutOptions } from './layout.js';
import { say, type MessageKey } from './messages.js';
import { createFormTokens, FORM_TOKEN_FIELD, PAGE_HEADERS } from './page-security.js';
import type { UiConfig } from './ui-config.js';

export interface PageKitOptions {
  readonly auth: Auth;
  readonly ui: UiConfig;
  readonly cookie: SessionCookie;
  readonly client: (request: FastifyRequest) => ClientView;
  /** Origins whose browser requests are not cross-site (SESAME_TRUSTED_ORIGINS). */
  readonly trustedOrigins: ReadonlySet<string>;
}

/** A page to send: its title (already in the reader's language), its content, its status. */
export interface Page {
  readonly title: string;
  readonly body: Html;
  /** 200 unless said. */
  readonly status?: number;
  /** Whether the header offers the account and log-out, or log-in and sign-up. */
  readonly isSignedIn: boolean;
}

/** The prefix every page lives under; admin pages under `${UI_PREFIX}/admin`. */
export const UI_PREFIX = '/ui';

// The stylesheet's name changes with its content, so that a browser may keep it for good.
function stylesheetPathOf(ui: UiConfig): string {
  return `${UI_PREFIX}/style.${createHash('sha256').update(ui.stylesheet).digest('base64url').slice(0, 12)}.css`;
}

/** Where a page drawn outside any plugin stands: its header over the layout's, and its way on (a catalogue key). */
export interface PagePlace {
  readonly header?: LayoutOptions['header'];
  readonly way: { readonly href: string; readonly text: MessageKey };
}

/**
 * The page answering a URL too malformed for any route to see (bad percent-encoding): the
 * framework answers it before routing, so no page plugin can, and it is drawn once; in the
 * user pages' place unless given another (the console's).
 */
export function malformedUrlPage(ui: UiConfig, place: PagePlace = { way: { href: `${UI_PREFIX}/login`, text: 'nav.log_in' } }): string {
  const kit = { say: (key: MessageKey) => say(ui.messages, key) };
  const body = errorBody(kit, kit.say('error.bad_request'), { href: place.way.href, text: kit.say(place.way.text) });
  return layout({ ui, stylesheetPath: stylesheetPathOf(ui), title: kit.say('error.title'), body, logOutToken: null, ...(place.header ? { header: place.header } : {}) });
}

/**
 * What every page plugin shares (docs/pages.md): the layout, the catalogue, the form token,
 * the signed-in user and the error pages. One kit per application; page plugins receive it as
 * an option and register their routes with `guard` as the preHandler of every POST.
 */
export function createPageKit({ auth, ui, cookie, client, trustedOrigins }: PageKitOptions) {
  const tokens = createFormTokens(cookie);
  const crossSite = refuseCrossSite(trustedOrigins, { isBearerExempt: false });
  const issued = new WeakMap<FastifyRequest, string>();
  const stylesheetPath = stylesheetPathOf(ui);

  const kit = {
    ui,
    stylesheetPath,
    /** The catalogue's text for `key`, filled in. */
    say: (key: MessageKey, values?: Readonly<Record<string, string | number>>) => say(ui.messages, key, values),

    /** The catalogue's text for `key` as markup, each `{name}` replaced by `values[name]` (escaped unless it is `Html`). */
    sayHtml: (key: MessageKey, values: Readonly<Record<string, HtmlValue>>): Html =>
      html`${ui.messages[key].split(/(\{\w+\})/).map((part): HtmlValue => {
        const name = /^\{(\w+)\}$/.exec(part)?.[1];
        return name !== undefined && Object.hasOwn(values, name) ? values[name] : part;
      })}`,

    /** The hidden field carrying the form token; every page form has one (sets the cookie when the browser has none). */
    tokenField(request: FastifyRequest, reply: FastifyReply): Html {
      return html`<input type="hidden" name="${FORM_TOKEN_FIELD}" value="${kit.formToken(request, reply)}">`;
    },

    /** The form token itself (base64url, so safe anywhere in markup); sets the cookie when the browser has none. */
    formToken(request: FastifyRequest, reply: FastifyReply): string {
      let token = issued.get(request);
      if (token === undefined) {
        token = tokens.tokenFor(request, reply, client(request).isHttps);
        issued.set(request, token);
      }
      return token;
    },

    /**
     * A page drawn once, whose only varying part is the form token: `draw` gets a placeholder
     * field and the result is split around it, so each answer is two strings and a token.
     */
    sendDrawnOnce(draw: (tokenField: Html) => Omit<Page, 'isSignedIn'>): (request: FastifyRequest, reply: FastifyReply) => FastifyReply {
      const marker = 'FORM-TOKEN-PLACEHOLDER';
      const page = draw(html`<input type="hidden" name="${FORM_TOKEN_FIELD}" value="${marker}">`);
      const [before = '', after = ''] = layout({ ui, stylesheetPath, title: page.title, body: page.body, logOutToken: null }).split(marker);
      return (request, reply) =>
        reply
          .code(page.status ?? 200)
          .type('text/html; charset=utf-8')
          .send(before + kit.formToken(request, reply) + after);
    },

    /**
     * The preHandler of every POST: refuses what a browser sends for another site (Fetch
     * Metadata, Origin), then a form whose token does not repeat its cookie.
     */
    guard: async (request: FastifyRequest): Promise<void> => {
      await crossSite(request);
      tokens.check(request, client(request).isHttps);
    },

    /** The user behind the request's session cookie, or null (the API's own check, `validateSessionToken`). */
    async principalOf(request: FastifyRequest): Promise<Principal | null> {
      const token = readSessionToken(request, cookie.name);
      return token === null ? null : auth.validateSessionToken(token);
    },

    /** Sends `page` in the layout, as HTML. */
    send(request: FastifyRequest, reply: FastifyReply, page: Page): FastifyReply {
      const logOut = page.isSignedIn ? kit.tokenField(request, reply) : null;
      const text = layout({ ui, stylesheetPath, title: page.title, body: page.body, logOutToken: logOut });
      return reply
        .code(page.status ?? 200)
        .type('text/html; charset=utf-8')
        .send(text);
    },

    /** POST-redirect-GET: a 303 to a path of Sesame's own. */
    seeOther(reply: FastifyReply, path: string): FastifyReply {
      return reply.redirect(path, 303);
    },
  };
  return kit;
}

export type PageKit = ReturnType<typeof createPageKit>;

/** What an error page says: its status and the catalogue's text for the error, no more. */
export interface ErrorAnswer {
  readonly status: number;
  readonly message: string;
  /** Whether the store or the cache is away: a drawer then asks them nothing more. */
  readonly isUnavailable: boolean;
}

/** Draws an error page in a plugin's own layout. */
export type ErrorPageDrawer = (request: FastifyRequest, reply: FastifyReply, answer: ErrorAnswer) => FastifyReply | Promise<FastifyReply>;

/** An error page's content: the title, the message as an alert, and one way on. */
export function errorBody(kit: Pick<PageKit, 'say'>, message: string, way: { readonly href: string; readonly text: string }): Html {
  return html`<h1>${kit.say('error.title')}</h1><div class="alert" role="alert"><p>${message}</p></div><p><a href="${way.href}">${way.text}</a></p>`;
}

/** The user pages' error page: their header, and the way to the log-in. */
function userErrorPage(kit: PageKit): ErrorPageDrawer {
  return (request, reply, { status, message }) =>
    kit.send(request, reply, { status, isSignedIn: false, title: kit.say('error.title'), body: errorBody(kit, message, { href: `${UI_PREFIX}/login`, text: kit.say('nav.log_in') }) });
}

// The methods a page's path answers 405 to when it does not take them; OPTIONS is left to CORS.
const PAGE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Gives a page plugin (and its children) the pages' headers on every answer, and HTML error
 * pages in place of JSON: the same statuses and no more detail than the API gives. `drawError`
 * lays them out (the user pages' layout unless given: the admin console passes its own).
 * Returns what the plugin calls once its last page is registered: from then on a method a page's
 * path does not take is answered 405 with the `Allow` it does take (RFC 9110 §15.5.6), where a
 * 404 would say the page is not there.
 */
export function registerPageHandlers(app: FastifyInstance, kit: PageKit, drawError: ErrorPageDrawer = userErrorPage(kit)): () => void {
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(PAGE_HEADERS);
    done();
  });
  const methodsOf = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    // Under the plugin's prefix, as the plugin registers it; `/ui` and `/ui/` are one path.
    const path = route.url.slice(app.prefix.length) || '/';
    const methods = methodsOf.get(path) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsOf.set(path, methods);
  });
  const errorPage = (request: FastifyRequest, reply: FastifyReply, status: number, message: string, isUnavailable = false) =>
    drawError(request, reply, { status, message, isUnavailable });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AuthError || error instanceof HttpError) {
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      return errorPage(request, reply, statusOf(error.code), sayError(kit.say, error));
    }
    if (error instanceof StoreUnavailableError || error instanceof CacheUnavailableError) {
      return errorPage(request, reply, 503, kit.say('error.unavailable'), true);
    }
    const status = error.statusCode ?? 500;
    if (error.validation || (status >= 400 && status < 500)) return errorPage(request, reply, error.validation ? 400 : status, kit.say('error.bad_request'));
    request.log.error({ err: error }, 'request failed');
    return errorPage(request, reply, 500, kit.say('error.internal'));
  });
  app.setNotFoundHandler((request, reply) => errorPage(request, reply, 404, kit.say('error.not_found')));
  return () => {
    // Over a copy: the routes added here reach the hook too.
    for (const [path, methods] of [...methodsOf]) {
      const others = PAGE_METHODS.filter((method) => !methods.has(method));
      if (others.length === 0) continue;
      const allow = PAGE_METHODS.filter((method) => methods.has(method)).join(', ');
      app.route({
        method: others,
        url: path,
        schema: { hide: true },
        handler: (request, reply) => errorPage(request, reply.header('allow', allow), 405, kit.say('error.method_not_allowed')),
      });
    }
  };
}
