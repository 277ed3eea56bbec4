import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from '../core/auth.js';
import type { Principal } from '../core/deps.js';
import { AuthError } from '../core/errors.js';
import type { OwnSessionView } from '../core/own-sessions.js';
import type { ClientView } from '../http/client-address.js';
import { alert, errorIdsOf, field, notice } from './forms.js';
import { html, type Html } from './html.js';
import { fieldOf, formFailure, noticeOf, passwordHint, type FormFailure } from './page-fields.js';
import type { PageKit } from './page-kit.js';
import { sayMoment, SESSION_KINDS } from './shared-texts.js';
import { isolatedText } from './visible-text.js';

export interface AccountPagesOptions {
  readonly kit: PageKit;
  readonly auth: Auth;
  readonly client: (request: FastifyRequest) => ClientView;
}

const LOG_IN_FIRST = '/ui/login?notice=sign_in&return_to=%2Fui%2Faccount';

/**
 * The account page: the email, the password change (`PUT /password`) and the user's sessions
 * (`GET /sessions`, `DELETE /sessions/{id}`), for the user of the session cookie only.
 */
export const accountPages: FastifyPluginAsync<AccountPagesOptions> = async (app, { kit, auth, client }) => {
  const hide = { schema: { hide: true } };
  const guarded = { ...hide, preHandler: kit.guard };

  /** A moment as people read it, and as machines do in `datetime`. */
  const moment = (at: Date): Html => html`<time datetime="${at.toISOString()}">${sayMoment(kit.say, at)}</time>`;

  const sessionItem = (request: FastifyRequest, reply: FastifyReply, session: OwnSessionView, index: number): Html => {
    const parts = [
      kit.sayHtml('account.session_started', { time: moment(session.createdAt) }),
      kit.sayHtml('account.session_last_seen', { time: moment(session.lastSeenAt) }),
      ...(session.clientAddress === null ? [] : [kit.say('account.session_from', { client: session.clientAddress })]),
    ];
    const id = `session-${index}`;
    const when = html`<p class="when" id="${id}-when">${parts.flatMap((part, at) => (at === 0 ? [part] : [kit.say('format.separator'), part]))}</p>`;
    const what = html`<p class="what" id="${id}-what">${session.userAgent ?? kit.say(SESSION_KINDS[session.kind])}</p>`;
    // Each button is named after the session it ends (its user agent or kind) and described by
    // its times, so that a screen reader's list of buttons, read apart from the sessions, tells
    // them apart (WCAG 2.4.6, 4.1.2).
    return session.current
      ? html`<li><div>${what}${when}</div><span class="badge">${kit.say('account.session_this')}</span></li>`
      : html`<li><div>${what}${when}</div><form class="inline" method="post" action="/ui/account/sessions/end">${kit.tokenField(request, reply)}<input type="hidden" name="session_id" value="${session.id}"><button type="submit" class="secondary" id="${id}-end" aria-labelledby="${id}-end ${id}-what" aria-describedby="${id}-when">${kit.say('account.end_session')}</button></form></li>`;
  };

  const accountPage = async (request: FastifyRequest, reply: FastifyReply, principal: Principal, failure: FormFailure | null) => {
    if (failure?.retryAfterSeconds !== undefined) void reply.header('retry-after', String(failure.retryAfterSeconds));
    // A wrong current password names no field; the core names the new password's own.
    const errorId = errorIdsOf(failure, ['password', 'new_password']);
    const sessions = await auth.listOwnSessions(principal);
    const others = sessions.filter((session) => !session.current);
    return kit.send(request, reply, {
      status: failure?.status ?? 200,
      isSignedIn: true,
      title: kit.say('account.title'),
      body: html`<h1>${kit.say('account.title')}</h1>${notice(failure ? null : noticeOf(kit, request))}
<p>${kit.sayHtml('account.signed_in_as', { email: isolatedText(principal.email) })}</p>
<h2>${kit.say('account.change_password')}</h2>${alert(kit.say('form.errors_heading'), failure?.message ?? null)}
<form method="post" action="/ui/account/password">${kit.tokenField(request, reply)}
<input type="email" name="email" autocomplete="username" value="${principal.email}" hidden>
${field({ name: 'password', label: kit.say('form.current_password'), type: 'password', autocomplete: 'current-password', errorId: errorId('password') })}
${field({ name: 'new_password', label: kit.say('form.new_password'), type: 'password', autocomplete: 'new-password', hint: passwordHint(kit), minLength: kit.ui.passwordMinLength, errorId: errorId('new_password') })}
<p class="hint">${kit.say('account.change_password_note')}</p>
<button type="submit">${kit.say('account.change_submit')}</button></form>
<h2>${kit.say('account.sessions')}</h2>
<ul class="sessions">${sessions.map((session, index) => sessionItem(request, reply, session, index))}</ul>
${
  others.length === 0
    ? html`<p>${kit.say('account.no_others')}</p>`
    : html`<form method="post" action="/ui/account/sessions/end-others">${kit.tokenField(request, reply)}<button type="submit" class="secondary">${kit.say('account.end_others')}</button></form>`
}`,
    });
  };

  app.get('/account', hide, async (request, reply) => {
    const principal = await kit.principalOf(request);
    return principal ? accountPage(request, reply, principal, null) : kit.seeOther(reply, LOG_IN_FIRST);
  });

  app.post('/account/password', guarded, async (request, reply) => {
    const principal = await kit.principalOf(request);
    if (!principal) return kit.seeOther(reply, LOG_IN_FIRST);
    try {
      await auth.changePassword(principal, fieldOf(request, 'password'), fieldOf(request, 'new_password'), client(request));
      return kit.seeOther(reply, '/ui/account?notice=password_changed');
    } catch (error) {
      return accountPage(request, reply, principal, formFailure(kit, error));
    }
  });

  app.post('/account/sessions/end', guarded, async (request, reply) => {
    const principal = await kit.principalOf(request);
    if (!principal) return kit.seeOther(reply, LOG_IN_FIRST);
    try {
      await auth.endOwnSession(principal, fieldOf(request, 'session_id'), client(request));
      return kit.seeOther(reply, '/ui/account?notice=session_ended');
    } catch (error) {
      return accountPage(request, reply, principal, formFailure(kit, error));
    }
  });

  app.post('/account/sessions/end-others', guarded, async (request, reply) => {
    const principal = await kit.principalOf(request);
    if (!principal) return kit.seeOther(reply, LOG_IN_FIRST);
    const from = client(request);
    for (const session of await auth.listOwnSessions(principal)) {
      if (session.current) continue;
      try {
        await auth.endOwnSession(principal, session.id, from);
      } catch (error) {
        // One that ended meanwhile (its own log-out, its expiry) is as good as ended here.
        if (!(error instanceof AuthError && error.code === 'session_not_found')) throw error;
      }
    }
    return kit.seeOther(reply, '/ui/account?notice=others_ended');
  });
};
