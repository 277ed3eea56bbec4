import { serialize as serializeCookie } from 'cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from '../core/auth.js';
import { readCookie } from '../http/authenticate.js';
import type { ClientView } from '../http/client-address.js';
import type { SessionCookie } from '../http/session-cookie.js';
import { alert, ERROR_ID, errorIdsOf, field, notice } from './forms.js';
import { html } from './html.js';
import { fieldOf, formFailure, noticeOf, passwordHint, queryOf, type FormFailure } from './page-fields.js';
import type { PageKit } from './page-kit.js';

export interface ResetPagesOptions {
  readonly kit: PageKit;
  readonly auth: Auth;
  readonly client: (request: FastifyRequest) => ClientView;
  readonly cookie: SessionCookie;
}

const RESET_PATH = '/ui/reset-password';
// What an emailed link carries: Sesame's reset tokens (base64url) or imported ones (UUIDs), and
// an email; anything longer would only swell the cookie past what browsers keep.
const LINK_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;
const LINK_EMAIL = /^[^\p{Cc}]{0,320}$/u;

// Long enough to choose a password; the token's own expiry (SESAME_RESET_TOKEN_TTL_SECONDS) still rules.
const RESET_COOKIE_SECONDS = 30 * 60;

/**
 * Forgot password and reset password: the API's `POST /reset_password` and `PUT
 * /reset_password` as forms. Served only when tokens leave by email or webhook.
 */
export const resetPages: FastifyPluginAsync<ResetPagesOptions> = async (app, { kit, auth, client, cookie }) => {
  const hide = { schema: { hide: true } };
  const guarded = { ...hide, preHandler: kit.guard };
  // The reset token waits here between the emailed link and the form: HttpOnly, only sent to
  // this page, never in a URL, a Referer or the page's HTML (FORGOT-CS).
  const resetCookie = cookie.secure === 'always' ? '__Secure-sesame_reset' : 'sesame_reset';
  const resetCookieHeader = (request: FastifyRequest, value: string, maxAge: number) =>
    serializeCookie(resetCookie, value, { path: RESET_PATH, httpOnly: true, sameSite: 'lax', secure: cookie.secure === 'always' || client(request).isHttps, maxAge });
  const heldReset = (request: FastifyRequest): { token: string; email: string } | null => {
    const held = readCookie(request, resetCookie);
    if (held === null) return null;
    const [token = '', email = ''] = Buffer.from(held, 'base64url').toString('utf8').split('\n');
    return token === '' ? null : { token, email };
  };

  const forgotPage = (request: FastifyRequest, reply: FastifyReply, email: string, failure: FormFailure | null) => {
    if (failure?.retryAfterSeconds !== undefined) void reply.header('retry-after', String(failure.retryAfterSeconds));
    return kit.send(request, reply, {
      status: failure?.status ?? 200,
      isSignedIn: false,
      title: kit.say('forgot.title'),
      body: html`<h1>${kit.say('forgot.title')}</h1>${notice(failure ? null : noticeOf(kit, request))}${alert(kit.say('form.errors_heading'), failure?.message ?? null)}
<p>${kit.say('forgot.intro')}</p>
<form method="post" action="/ui/forgot-password">${kit.tokenField(request, reply)}
${field({ name: 'email', label: kit.say('form.email'), type: 'email', autocomplete: 'username', value: email, errorId: failure ? ERROR_ID : null })}
<button type="submit">${kit.say('forgot.submit')}</button></form>
<ul class="links"><li><a href="/ui/login">${kit.say('nav.log_in')}</a></li></ul>`,
    });
  };

  app.get('/forgot-password', hide, (request, reply) => forgotPage(request, reply, '', null));

  app.post('/forgot-password', guarded, async (request, reply) => {
    const email = fieldOf(request, 'email');
    try {
      // Known or unknown, the same answer (the delivery is email or webhook: ASVS 6.3.8).
      await auth.requestPasswordReset(email, client(request));
      return kit.seeOther(reply, '/ui/forgot-password?notice=reset_sent');
    } catch (error) {
      return forgotPage(request, reply, email, formFailure(kit, error));
    }
  });

  const resetPage = (request: FastifyRequest, reply: FastifyReply, email: string, failure: FormFailure | null) => {
    if (failure?.retryAfterSeconds !== undefined) void reply.header('retry-after', String(failure.retryAfterSeconds));
    // A link that no longer works names no field: the new password is what the form is for.
    const errorId = errorIdsOf(failure, ['new_password', 'email']);
    return kit.send(request, reply, {
      status: failure?.status ?? 200,
      isSignedIn: false,
      title: kit.say('reset.title'),
      body: html`<h1>${kit.say('reset.title')}</h1>${alert(kit.say('form.errors_heading'), failure?.message ?? null)}
<form method="post" action="${RESET_PATH}">${kit.tokenField(request, reply)}
${field({ name: 'email', label: kit.say('form.email'), type: 'email', autocomplete: 'username', value: email, errorId: errorId('email') })}
${field({ name: 'new_password', label: kit.say('form.new_password'), type: 'password', autocomplete: 'new-password', hint: passwordHint(kit), minLength: kit.ui.passwordMinLength, errorId: errorId('new_password') })}
<button type="submit">${kit.say('reset.submit')}</button></form>
<ul class="links"><li><a href="/ui/forgot-password">${kit.say('reset.ask_again')}</a></li></ul>`,
    });
  };

  app.get('/reset-password', hide, (request, reply) => {
    const token = queryOf(request, 'token');
    if (token !== '') {
      // The emailed link's token leaves the address bar (and history, and any Referer) at once;
      // a link no email of Sesame's could hold leaves too, and takes the place of an earlier
      // link's token, so the page never shows an older link's email as this one's.
      const email = queryOf(request, 'email');
      const isEmailed = LINK_TOKEN.test(token) && LINK_EMAIL.test(email);
      const held = isEmailed ? Buffer.from(`${token}\n${email}`, 'utf8').toString('base64url') : '';
      void reply.header('set-cookie', resetCookieHeader(request, held, isEmailed ? RESET_COOKIE_SECONDS : 0));
      return kit.seeOther(reply, RESET_PATH);
    }
    const held = heldReset(request);
    if (held === null) {
      return kit.send(request, reply, {
        isSignedIn: false,
        title: kit.say('reset.title'),
        body: html`<h1>${kit.say('reset.title')}</h1><p>${kit.say('reset.no_token')}</p><ul class="links"><li><a href="/ui/forgot-password">${kit.say('reset.ask_again')}</a></li></ul>`,
      });
    }
    return resetPage(request, reply, held.email, null);
  });

  app.post('/reset-password', guarded, async (request, reply) => {
    const email = fieldOf(request, 'email');
    try {
      // No held token is as invalid as a wrong one: the same use case says so, with its limits.
      await auth.resetPassword(email, heldReset(request)?.token ?? '', fieldOf(request, 'new_password'), client(request));
      void reply.header('set-cookie', resetCookieHeader(request, '', 0));
      return kit.seeOther(reply, '/ui/login?notice=password_reset');
    } catch (error) {
      return resetPage(request, reply, email, formFailure(kit, error));
    }
  });
};
