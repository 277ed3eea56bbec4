import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Operator } from '../../core/admin.js';
import type { Principal } from '../../core/deps.js';
import { AuthError } from '../../core/errors.js';
import { signingIn } from '../../http/client-address.js';
import { statusOf } from '../../http/error-handler.js';
import { HttpError } from '../../http/http-error.js';
import { fieldOfError, sayError } from '../error-messages.js';
import { html, type Html } from '../html.js';
import { layout } from '../layout.js';
import { say, type MessageKey } from '../messages.js';
import { listed } from '../page-fields.js';
import { createPageKit, errorBody, malformedUrlPage, registerPageHandlers, type ErrorPageDrawer } from '../page-kit.js';
import type { PagesOptions } from '../pages.js';
import type { UiConfig } from '../ui-config.js';
import { isolatedPlainText, isolatedText } from '../visible-text.js';
import { actionButton, deleteView, logInView, STATE_FILTERS, userListView, userView, type StateFilter, type ViewKit } from './console-views.js';
import { CONSOLE_PREFIX, createConsoleCookie } from './console-cookie.js';

/** Users on one page of the list. */
const PAGE_SIZE = 20;

// A page that follows a POST says what happened through `?done=`, one of these and nothing else.
const NOTICES: Readonly<Record<string, MessageKey>> = {
  logged_out: 'admin.notice.logged_out',
  signed_out: 'admin.notice.signed_out',
  disabled: 'admin.notice.disabled',
  enabled: 'admin.notice.enabled',
  unlocked: 'admin.notice.unlocked',
  deleted: 'admin.notice.deleted',
  session_ended: 'admin.notice.session_ended',
  sessions_ended: 'admin.notice.sessions_ended',
  own_sessions_ended: 'admin.notice.own_sessions_ended',
  console_session_ended: 'admin.notice.console_session_ended',
};

// The earlier pages of a listing ride in the URL as their start cursors (base64url, so `.`
// separates them and `~` stands for the first page): the core's keyset cursor only goes forward.
const FIRST_PAGE = '~';
const string = (maxLength: number, pattern?: string) => ({ type: 'string', maxLength, ...(pattern ? { pattern } : {}) }) as const;
const listQuery = {
  type: 'object',
  properties: {
    q: string(320),
    state: { type: 'string', enum: STATE_FILTERS },
    cursor: string(200, '^[A-Za-z0-9_-]*$'),
    trail: string(8000, '^[A-Za-z0-9_.~-]*$'),
    done: string(40),
  },
} as const;
const doneQuery = { type: 'object', properties: { done: string(40) } } as const;
const userParams = { type: 'object', required: ['id'], properties: { id: string(64) } } as const;
const sessionParams = { type: 'object', required: ['id', 'sessionId'], properties: { id: string(64), sessionId: string(64) } } as const;
const formBody = { type: 'object', properties: { form_token: { type: 'string' } } } as const;
const logInBody = { type: 'object', required: ['email', 'password'], properties: { email: { type: 'string' }, password: { type: 'string' } } } as const;
const deleteBody = { type: 'object', required: ['confirm'], properties: { confirm: string(64) } } as const;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** The console's header over the layout's: its product name, its home, and `nav`. */
function consoleHeader(ui: UiConfig, nav: Html) {
  return { product: say(ui.messages, 'admin.product', { product: ui.productName }), home: `${CONSOLE_PREFIX}/users`, nav };
}

/** The console's answer to a URL under it too malformed to route (app.ts sends it): `malformedUrlPage` in the console's place. */
export function malformedConsoleUrlPage(ui: UiConfig): string {
  return malformedUrlPage(ui, { header: consoleHeader(ui, html``), way: { href: `${CONSOLE_PREFIX}/login`, text: 'admin.error.log_in' } });
}

/**
 * The admin console under /ui/admin (docs/admin-console.md): operators, users with the `admin`
 * claim, sign in with their own password and manage users through the core's Administration,
 * each action in the audit log under the `console` door with the operator's id. Every page
 * but the sign-in checks the console session anew (`checkConsoleSession`); every change is a
 * POST behind the pages' CSRF guard, answered with a redirect (POST-redirect-GET).
 */
export const adminConsole: FastifyPluginAsync<PagesOptions> = async (app, options) => {
  const { auth, client } = options;
  const kit = createPageKit(options);
  const consoleCookie = createConsoleCookie(options.cookie);
  const operators = new WeakMap<FastifyRequest, Principal>();

  const viewKit = (request: FastifyRequest, reply: FastifyReply): ViewKit => ({ say: kit.say, sayHtml: kit.sayHtml, token: kit.tokenField(request, reply) });
  const noticeOf = (request: FastifyRequest) => {
    const key = listed(NOTICES, (request.query as { done?: string }).done ?? '');
    return key === undefined ? null : kit.say(key);
  };
  const operatorOf = (request: FastifyRequest): Principal => operators.get(request)!;
  const asOperator = (request: FastifyRequest): Operator => {
    const from = client(request);
    return { door: 'console', address: from.address, requestId: from.requestId, operatorId: operatorOf(request).userId };
  };

  function send(request: FastifyRequest, reply: FastifyReply, page: { title: string; body: Html; status?: number }): FastifyReply {
    const operator = operators.get(request);
    const nav = operator
      ? html`<li>${kit.sayHtml('admin.signed_in_as', { email: isolatedText(operator.email) })}</li><li>${actionButton(viewKit(request, reply), '/logout', kit.say('admin.log_out'), true)}</li>`
      : html``;
    const text = layout({ ui: kit.ui, stylesheetPath: kit.stylesheetPath, title: page.title, body: page.body, logOutToken: null, header: consoleHeader(kit.ui, nav) });
    return reply.code(page.status ?? 200).type('text/html; charset=utf-8').send(text);
  }

  /**
   * An error page in the console's layout. An error may come before `requireOperator` has run (a
   * refused form token, a query the schema refused, a path no route has): the session is then
   * asked here, so a signed-in operator keeps their header and the way back to the users. Not
   * when the store or cache is what failed: asking it again would only fail again.
   */
  const drawError: ErrorPageDrawer = async (request, reply, { status, message, isUnavailable }) => {
    const token = consoleCookie.read(request);
    if (!operators.has(request) && !isUnavailable && token !== null) {
      // An error page is already the answer: a failure here only leaves the header signed out.
      const operator = await auth.checkConsoleSession(token).catch(() => null);
      if (operator !== null) operators.set(request, operator);
    }
    const way = operators.has(request) ? { href: `${CONSOLE_PREFIX}/users`, text: kit.say('admin.user.back') } : { href: `${CONSOLE_PREFIX}/login`, text: kit.say('admin.error.log_in') };
    return send(request, reply, { status, title: kit.say('error.title'), body: errorBody(kit, message, way) });
  };
  const answerOtherMethods = registerPageHandlers(app, kit, drawError);

  /** The preHandler of every page but the sign-in: a live console session of a current operator, or the sign-in page. */
  async function requireOperator(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = consoleCookie.read(request);
    const operator = token === null ? null : await auth.checkConsoleSession(token);
    if (operator === null) {
      if (token !== null) consoleCookie.clear(reply, client(request));
      await kit.seeOther(reply, `${CONSOLE_PREFIX}/login${token === null ? '' : '?done=signed_out'}`);
      return;
    }
    operators.set(request, operator);
  }
  const guard = (request: FastifyRequest) => kit.guard(request);
  const forOperators = { preHandler: requireOperator };
  const changes = { preHandler: [guard, requireOperator] };
  const hidden = (schema: object) => ({ schema: { hide: true, ...schema } });

  app.get('/', hidden({}), (_request, reply) => kit.seeOther(reply, `${CONSOLE_PREFIX}/users`));

  app.get('/login', hidden({ querystring: doneQuery }), async (request, reply) => {
    const token = consoleCookie.read(request);
    if (token !== null && (await auth.checkConsoleSession(token))) return kit.seeOther(reply, `${CONSOLE_PREFIX}/users`);
    return send(request, reply, { title: kit.say('admin.log_in.title'), body: logInView(viewKit(request, reply), { email: '', error: null, errorField: null, notice: noticeOf(request) }) });
  });

  app.post<{ Body: { email: string; password: string } }>('/login', { ...hidden({ body: logInBody }), preHandler: guard }, async (request, reply) => {
    const { email, password } = request.body;
    try {
      const { consoleToken } = await auth.startConsoleSession(email, password, consoleCookie.read(request), signingIn(client(request), request));
      consoleCookie.set(reply, client(request), consoleToken);
      return kit.seeOther(reply, `${CONSOLE_PREFIX}/users`);
    } catch (error) {
      // The API's statuses and messages, on the form itself so the operator can try again.
      if (!(error instanceof AuthError) || error.code === 'overloaded') throw error;
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      const body = logInView(viewKit(request, reply), { email, error: sayError(kit.say, error), errorField: fieldOfError(error), notice: null });
      return send(request, reply, { status: statusOf(error.code), title: kit.say('admin.log_in.title'), body });
    }
  });

  app.post('/logout', { ...hidden({ body: formBody }), preHandler: guard }, async (request, reply) => {
    const token = consoleCookie.read(request);
    if (token !== null) await auth.endConsoleSession(token, client(request));
    consoleCookie.clear(reply, client(request));
    return kit.seeOther(reply, `${CONSOLE_PREFIX}/login?done=logged_out`);
  });

  app.get<{ Querystring: { q?: string; state?: StateFilter; cursor?: string; trail?: string } }>('/users', { ...hidden({ querystring: listQuery }), ...forOperators }, async (request, reply) => {
    const search = (request.query.q ?? '').trim();
    const state = request.query.state ?? 'all';
    const cursor = request.query.cursor || null;
    const trail = request.query.trail ? request.query.trail.split('.') : [];
    const page = await auth.listUsers({ order: 'newest', cursor, limit: PAGE_SIZE, emailPrefix: search === '' ? null : search, state: state === 'all' ? null : state });
    // Every link of the listing carries the search and the filter, so paging keeps both.
    const link = (to: string | null, along: readonly string[]) => {
      const query = new URLSearchParams();
      if (search !== '') query.set('q', search);
      if (state !== 'all') query.set('state', state);
      if (to !== null) query.set('cursor', to);
      if (along.length > 0) query.set('trail', along.join('.'));
      const text = query.toString();
      return `${CONSOLE_PREFIX}/users${text === '' ? '' : `?${text}`}`;
    };
    const back = trail.at(-1);
    const previous = back === undefined ? null : link(back === FIRST_PAGE ? null : back, trail.slice(0, -1));
    const next = page.nextCursor === null ? null : link(page.nextCursor, [...trail, cursor ?? FIRST_PAGE]);
    const body = userListView(viewKit(request, reply), { search, state, users: page.users, previous, next, notice: noticeOf(request) });
    return send(request, reply, { title: kit.say('admin.users.title'), body });
  });

  app.get<{ Params: { id: string } }>('/users/:id', { ...hidden({ params: userParams, querystring: doneQuery }), ...forOperators }, async (request, reply) => {
    const ref = { id: request.params.id };
    const [user, sessions] = await Promise.all([auth.getUser(ref), auth.listSessions(ref)]);
    const { userId, sessionId } = operatorOf(request);
    const body = userView(viewKit(request, reply), { user, sessions, isSelf: user.id === userId, consoleSessionId: sessionId, notice: noticeOf(request) });
    return send(request, reply, { title: kit.say('admin.user.title', { email: isolatedPlainText(user.email) }), body });
  });

  app.get<{ Params: { id: string } }>('/users/:id/delete', { ...hidden({ params: userParams }), ...forOperators }, async (request, reply) => {
    const user = await auth.getUser({ id: request.params.id });
    // The deletion would be refused (the core's `own_account`): say so now, not after the confirmation.
    if (user.id === operatorOf(request).userId) return drawError(request, reply, { status: statusOf('invalid_input'), message: kit.say('admin.user.yourself'), isUnavailable: false });
    return send(request, reply, { title: kit.say('admin.delete.title', { email: isolatedPlainText(user.email) }), body: deleteView(viewKit(request, reply), user) });
  });

  const backToUser = (request: IdRequest, reply: FastifyReply, done: string) =>
    kit.seeOther(reply, `${CONSOLE_PREFIX}/users/${encodeURIComponent(request.params.id)}?done=${done}`);
  const userAction = (path: string, act: (request: IdRequest) => Promise<unknown>, done: string) =>
    app.post<{ Params: { id: string } }>(`/users/:id${path}`, { ...hidden({ params: userParams, body: formBody }), ...changes }, async (request, reply) => {
      await act(request);
      return backToUser(request, reply, done);
    });
  userAction('/disable', (request) => auth.updateUser({ id: request.params.id }, { disabled: true }, asOperator(request)), 'disabled');
  userAction('/enable', (request) => auth.updateUser({ id: request.params.id }, { disabled: false }, asOperator(request)), 'enabled');
  userAction('/unlock', (request) => auth.unlock({ id: request.params.id }, asOperator(request)), 'unlocked');

  // The console session is one of the operator's own sessions: ending it, alone or with all of
  // theirs, signs them out of the console. Said on the sign-in page, with the cookie gone, rather
  // than found out at the next request as a session that ended on its own.
  const signedOutBy = (request: FastifyRequest, reply: FastifyReply, done: string) => {
    consoleCookie.clear(reply, client(request));
    return kit.seeOther(reply, `${CONSOLE_PREFIX}/login?done=${done}`);
  };

  app.post<{ Params: { id: string } }>('/users/:id/sessions/end', { ...hidden({ params: userParams, body: formBody }), ...changes }, async (request, reply) => {
    await auth.endSessions({ id: request.params.id }, asOperator(request));
    if (request.params.id === operatorOf(request).userId) return signedOutBy(request, reply, 'own_sessions_ended');
    return backToUser(request, reply, 'sessions_ended');
  });

  app.post<{ Params: { id: string; sessionId: string } }>(
    '/users/:id/sessions/:sessionId/end',
    { ...hidden({ params: sessionParams, body: formBody }), ...changes },
    async (request, reply) => {
      await auth.endSession({ id: request.params.id }, request.params.sessionId, asOperator(request));
      if (request.params.sessionId === operatorOf(request).sessionId) return signedOutBy(request, reply, 'console_session_ended');
      return backToUser(request, reply, 'session_ended');
    },
  );

  app.post<{ Params: { id: string }; Body: { confirm: string } }>(
    '/users/:id/delete',
    { ...hidden({ params: userParams, body: deleteBody }), ...changes },
    async (request, reply) => {
      // Only the confirmation page's form names the user again: a bare POST deletes nothing.
      if (request.body.confirm !== request.params.id) throw new HttpError('invalid_request', 'the deletion was not confirmed');
      await auth.deleteUser({ id: request.params.id }, asOperator(request));
      return kit.seeOther(reply, `${CONSOLE_PREFIX}/users?done=deleted`);
    },
  );
  answerOtherMethods();
};
