import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from '../core/auth.js';
import { readSessionToken } from '../http/authenticate.js';
import { signingIn, type ClientView } from '../http/client-address.js';
import { clearedSessionCookieHeader, sessionCookieHeader, type SessionCookie } from '../http/session-cookie.js';
import { alert, errorIdsOf, field, notice } from './forms.js';
import { html, type Html } from './html.js';
import { fieldOf, formFailure, noticeOf, passwordHint, queryOf, type FormFailure } from './page-fields.js';
import type { PageKit } from './page-kit.js';
import { cspWithFormsEndingAt } from './page-security.js';
import { ACCOUNT_PAGE, allowedReturnTo } from './return-to.js';

export interface SignInPagesOptions {
  readonly kit: PageKit;
  readonly auth: Auth;
  readonly client: (request: FastifyRequest) => ClientView;
  readonly cookie: SessionCookie;
  readonly trustedOrigins: ReadonlySet<string>;
}

/** Log in, sign up and log out: the API's `POST /sessions`, `POST /users` and `DELETE /sessions` as forms. */
export const signInPages: FastifyPluginAsync<SignInPagesOptions> = async (app, { kit, auth, client, cookie, trustedOrigins }) => {
  const hide = { schema: { hide: true } };
  const guarded = { ...hide, preHandler: kit.guard };

  const logInBody = (tokenField: Html, email: string, returnTo: string | null, noticeText: string | null, failure: FormFailure | null) => {
    // A wrong email or password names no field: the email, first, is where to start again.
    const errorId = errorIdsOf(failure, ['email', 'password']);
    return {
      status: failure?.status ?? 200,
      title: kit.say('log_in.title'),
      body: html`<h1>${kit.say('log_in.title')}</h1>${notice(noticeText)}${alert(kit.say('form.errors_heading'), failure?.message ?? null)}
<form method="post" action="/ui/login">${tokenField}${returnTo === null ? '' : html`<input type="hidden" name="return_to" value="${returnTo}">`}
${field({ name: 'email', label: kit.say('form.email'), type: 'email', autocomplete: 'username', value: email, errorId: errorId('email') })}
${field({ name: 'password', label: kit.say('form.password'), type: 'password', autocomplete: 'current-password', errorId: errorId('password') })}
<button type="submit">${kit.say('log_in.submit')}</button></form>
<ul class="links">${kit.ui.hasPasswordReset ? html`<li><a href="/ui/forgot-password">${kit.say('log_in.forgot')}</a></li>` : ''}<li><a href="/ui/signup">${kit.say('log_in.no_account')}</a></li></ul>`,
    };
  };
  const logInPage = (request: FastifyRequest, reply: FastifyReply, email: string, returnTo: string | null, failure: FormFailure | null) => {
    if (returnTo !== null && !returnTo.startsWith('/')) void reply.header('content-security-policy', cspWithFormsEndingAt(new URL(returnTo).origin));
    if (failure?.retryAfterSeconds !== undefined) void reply.header('retry-after', String(failure.retryAfterSeconds));
    const body = logInBody(kit.tokenField(request, reply), email, returnTo, failure ? null : noticeOf(kit, request), failure);
    return kit.send(request, reply, { ...body, isSignedIn: false });
  };
  // No session check, and the plain page drawn once: it is the page every visitor meets first
  // (its cost beside a session check's is a bench figure).
  const plainLogInPage = kit.sendDrawnOnce((tokenField) => logInBody(tokenField, '', null, null, null));

  app.get('/login', hide, (request, reply) => {
    const query = request.query as Record<string, unknown>;
    if (query.return_to === undefined && query.notice === undefined) return plainLogInPage(request, reply);
    return logInPage(request, reply, '', allowedReturnTo(queryOf(request, 'return_to'), trustedOrigins), null);
  });

  app.post('/login', guarded, async (request, reply) => {
    const email = fieldOf(request, 'email');
    const returnTo = allowedReturnTo(fieldOf(request, 'return_to'), trustedOrigins);
    const from = client(request);
    try {
      // The API's own log-in: the same attempt limits, the same session, the same cookie.
      const { sessionToken } = await auth.logIn(email, fieldOf(request, 'password'), readSessionToken(request, cookie.name), signingIn(from, request));
      void reply.header('set-cookie', sessionCookieHeader(cookie, from, sessionToken));
      return kit.seeOther(reply, returnTo ?? ACCOUNT_PAGE);
    } catch (error) {
      return logInPage(request, reply, email, returnTo, formFailure(kit, error));
    }
  });

  const signUpPage = (request: FastifyRequest, reply: FastifyReply, email: string, failure: FormFailure | null) => {
    if (failure?.retryAfterSeconds !== undefined) void reply.header('retry-after', String(failure.retryAfterSeconds));
    const errorId = errorIdsOf(failure, ['email', 'password']);
    return kit.send(request, reply, {
      status: failure?.status ?? 200,
      isSignedIn: false,
      title: kit.say('sign_up.title'),
      body: html`<h1>${kit.say('sign_up.title')}</h1>${alert(kit.say('form.errors_heading'), failure?.message ?? null)}
<form method="post" action="/ui/signup">${kit.tokenField(request, reply)}
${field({ name: 'email', label: kit.say('form.email'), type: 'email', autocomplete: 'username', value: email, errorId: errorId('email') })}
${field({ name: 'password', label: kit.say('form.password'), type: 'password', autocomplete: 'new-password', hint: passwordHint(kit), minLength: kit.ui.passwordMinLength, errorId: errorId('password') })}
<button type="submit">${kit.say('sign_up.submit')}</button></form>
<ul class="links"><li><a href="/ui/login">${kit.say('sign_up.have_account')}</a></li></ul>`,
    });
  };

  app.get('/signup', hide, (request, reply) => signUpPage(request, reply, '', null));

  app.post('/signup', guarded, async (request, reply) => {
    const email = fieldOf(request, 'email');
    try {
      await auth.register(email, fieldOf(request, 'password'), client(request));
      return kit.seeOther(reply, '/ui/login?notice=registered');
    } catch (error) {
      return signUpPage(request, reply, email, formFailure(kit, error));
    }
  });

  app.post('/logout', guarded, async (request, reply) => {
    const from = client(request);
    const principal = await kit.principalOf(request);
    if (principal) await auth.logOut(principal, from);
    // The browser drops every cookie of this origin too (OWASP session cheat sheet).
    void reply.header('clear-site-data', '"cookies"');
    void reply.header('set-cookie', clearedSessionCookieHeader(cookie, from));
    return kit.seeOther(reply, '/ui/login?notice=logged_out');
  });
};
