import type { UserView } from '../../core/admin.js';
import type { SessionView } from '../../core/session-views.js';
import { alert, errorIdsOf, field, notice } from '../forms.js';
import { html, type Html, type HtmlValue } from '../html.js';
import type { MessageKey } from '../messages.js';
import { sayMoment, SESSION_KINDS } from '../shared-texts.js';
import { isolatedText } from '../visible-text.js';
import { CONSOLE_PREFIX } from './console-cookie.js';

/** What every console view needs: the catalogue, and a fresh form token field for each form. */
export interface ViewKit {
  readonly say: (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;
  readonly sayHtml: (key: MessageKey, values: Readonly<Record<string, HtmlValue>>) => Html;
  readonly token: Html;
}

/** How a button among many alike is told apart: its own id, named by itself and `what`, described by `when`. */
interface ButtonNames {
  readonly id: string;
  readonly what: string;
  readonly when: string;
}

/** A form of one button that POSTs to `action` in the console (every change is a POST with the form token). */
export function actionButton(kit: ViewKit, action: string, label: string, isSecondary = false, names?: ButtonNames): Html {
  const named = names ? html` id="${names.id}" aria-labelledby="${names.id} ${names.what}" aria-describedby="${names.when}"` : '';
  return html`<form class="inline" method="post" action="${CONSOLE_PREFIX}${action}">${kit.token}<button type="submit"${isSecondary ? html` class="secondary"` : ''}${named}>${label}</button></form>`;
}

const userPath = (user: { id: string }) => `${CONSOLE_PREFIX}/users/${encodeURIComponent(user.id)}`;
// Enough of a random id to tell look-alike emails apart in the list (48 bits); the user's page shows it whole.
const SHORT_ID_LENGTH = 8;

export function logInView(kit: ViewKit, options: { email: string; error: string | null; errorField: string | null; notice: string | null }): Html {
  const errorId = errorIdsOf(options.error === null ? null : { field: options.errorField }, ['email', 'password']);
  return html`<h1>${kit.say('admin.log_in.title')}</h1>${notice(options.notice)}${alert(kit.say('form.errors_heading'), options.error)}
<p>${kit.say('admin.log_in.intro')}</p>
<form method="post" action="${CONSOLE_PREFIX}/login">${kit.token}${field({ name: 'email', label: kit.say('form.email'), type: 'email', autocomplete: 'username', value: options.email, errorId: errorId('email') })}${field({
    name: 'password',
    label: kit.say('form.password'),
    type: 'password',
    autocomplete: 'current-password',
    errorId: errorId('password'),
  })}<button type="submit">${kit.say('admin.log_in.submit')}</button></form>`;
}

/** The user list's filter by state: the admin API's `state`, or `all` for none. */
export const STATE_FILTERS = ['all', 'active', 'disabled', 'locked'] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];
const FILTER_LABELS: Readonly<Record<StateFilter, MessageKey>> = {
  all: 'admin.filter.all',
  active: 'admin.filter.active',
  disabled: 'admin.filter.disabled',
  locked: 'admin.filter.locked',
};

export interface UserListOptions {
  readonly search: string;
  readonly state: StateFilter;
  readonly users: readonly UserView[];
  readonly previous: string | null;
  readonly next: string | null;
  readonly notice: string | null;
}

function stateOf(kit: ViewKit, user: UserView): string {
  const states = [user.disabled ? 'admin.state.disabled' : user.locked ? 'admin.state.locked' : 'admin.state.active'] as MessageKey[];
  if (user.claims?.['admin'] === true) states.push('admin.state.operator');
  return states.map((key) => kit.say(key)).join(kit.say('format.separator'));
}

export function userListView(kit: ViewKit, options: UserListOptions): Html {
  const items = options.users.map(
    (user) =>
      html`<li><div><p class="what"><a href="${userPath(user)}">${isolatedText(user.email)}</a></p><p class="when">${kit.sayHtml('admin.users.id', {
        id: html`<code>${user.id.slice(0, SHORT_ID_LENGTH)}</code>…`,
      })}${kit.say('format.detail_separator')}${kit.say('admin.users.created', { time: sayMoment(kit.say, user.createdAt) })}${kit.say('format.detail_separator')}<span class="badge">${stateOf(kit, user)}</span></p></div></li>`,
  );
  const pager = [
    options.previous === null ? null : html`<li><a href="${options.previous}" rel="prev">${kit.say('admin.users.previous')}</a></li>`,
    options.next === null ? null : html`<li><a href="${options.next}" rel="next">${kit.say('admin.users.next')}</a></li>`,
  ].filter((link) => link !== null);
  const states = STATE_FILTERS.map((state) => html`<option value="${state}"${state === options.state ? html` selected` : ''}>${kit.say(FILTER_LABELS[state])}</option>`);
  const isFiltered = options.search !== '' || options.state !== 'all';
  // Locks live in the attempt counters, so the core filters by them a slice of rows at a time:
  // a page may come back empty with more after it, which is not "no user matches".
  const none = options.next === null ? kit.say('admin.users.none') : kit.say('admin.users.none_on_page');
  return html`<h1>${kit.say('admin.users.title')}</h1>${notice(options.notice)}
<form method="get" action="${CONSOLE_PREFIX}/users" role="search">${field({ name: 'q', label: kit.say('admin.users.search'), type: 'text', autocomplete: 'off', value: options.search, isRequired: false })}<label for="field-state">${kit.say('admin.users.state')}</label><select id="field-state" name="state">${states}</select><button type="submit">${kit.say('admin.users.search_submit')}</button></form>
${isFiltered ? html`<p><a href="${CONSOLE_PREFIX}/users">${kit.say('admin.users.clear')}</a></p>` : ''}
${items.length === 0 ? html`<p>${none}</p>` : html`<ul class="sessions" id="users">${items}</ul>`}
${pager.length === 0 ? '' : html`<nav aria-label="${kit.say('admin.users.pages')}"><ul class="links">${pager}</ul></nav>`}`;
}

export interface UserDetailOptions {
  readonly user: UserView;
  readonly sessions: readonly SessionView[];
  readonly isSelf: boolean;
  /** The operator's own console session, marked in the list when it is there. */
  readonly consoleSessionId: string;
  readonly notice: string | null;
}

export function userView(kit: ViewKit, { user, sessions, isSelf, consoleSessionId, notice: done }: UserDetailOptions): Html {
  const path = `/users/${encodeURIComponent(user.id)}`;
  const row = (label: string, value: HtmlValue) => html`<dt>${label}</dt><dd>${value}</dd>`;
  const actions = [
    isSelf ? null : actionButton(kit, `${path}/${user.disabled ? 'enable' : 'disable'}`, kit.say(user.disabled ? 'admin.action.enable' : 'admin.action.disable')),
    // Offered whatever the state: besides the account's lock, a client's own count of failures
    // refuses it (429) with no trace the core can read cheaply, and an unlock clears both.
    actionButton(kit, `${path}/unlock`, kit.say('admin.action.unlock')),
    isSelf ? null : html`<a href="${CONSOLE_PREFIX}${path}/delete">${kit.say('admin.action.delete')}</a>`,
  ].filter((action) => action !== null);
  // Each "End this session" is named after its session and described by its times, so a screen
  // reader's list of buttons tells them apart (WCAG 2.4.6), as on the account page.
  const items = sessions.map(
    (session, index) =>
      html`<li><div><p class="what" id="session-${index}-what">${kit.say(SESSION_KINDS[session.kind])}${session.clientAddress ? html`${kit.say('format.detail_separator')}${session.clientAddress}` : ''}${
        session.id === consoleSessionId ? html`${kit.say('format.detail_separator')}<span class="badge">${kit.say('admin.sessions.this')}</span>` : ''
      }</p><p class="when" id="session-${index}-when">${kit.say('account.session_started', { time: sayMoment(kit.say, session.createdAt) })}${kit.say('format.separator')}${kit.say('account.session_last_seen', { time: sayMoment(kit.say, session.lastSeenAt) })}</p></div>${actionButton(
        kit,
        `${path}/sessions/${encodeURIComponent(session.id)}/end`,
        kit.say('admin.sessions.end'),
        true,
        { id: `session-${index}-end`, what: `session-${index}-what`, when: `session-${index}-when` },
      )}</li>`,
  );
  return html`<p><a href="${CONSOLE_PREFIX}/users">${kit.say('admin.user.back')}</a></p><h1>${kit.sayHtml('admin.user.title', { email: isolatedText(user.email) })}</h1>${notice(done)}
<dl>${row(kit.say('admin.user.id'), user.id)}${row(kit.say('admin.user.created'), sayMoment(kit.say, user.createdAt))}${row(kit.say('admin.user.last_login'), user.lastLoginAt ? sayMoment(kit.say, user.lastLoginAt) : kit.say('admin.user.never'))}${row(
    kit.say('admin.user.state'),
    stateOf(kit, user),
  )}${row(kit.say('admin.user.claims'), user.claims === null ? kit.say('admin.user.no_claims') : isolatedText(JSON.stringify(user.claims)))}</dl>
${isSelf ? html`<p>${kit.say('admin.user.yourself')}</p>` : ''}<div class="actions">${actions}</div><p class="hint">${kit.say('admin.action.unlock_hint')}</p>
<h2>${kit.say('admin.sessions.title')}</h2>
${items.length === 0 ? html`<p>${kit.say('admin.sessions.none')}</p>` : html`<ul class="sessions">${items}</ul>${isSelf ? html`<p>${kit.say('admin.sessions.end_all_self')}</p>` : ''}${actionButton(kit, `${path}/sessions/end`, kit.say('admin.sessions.end_all'))}`}`;
}

export function deleteView(kit: ViewKit, user: UserView): Html {
  const path = `${CONSOLE_PREFIX}/users/${encodeURIComponent(user.id)}`;
  return html`<h1>${kit.sayHtml('admin.delete.title', { email: isolatedText(user.email) })}</h1><div class="alert" role="alert"><p>${kit.say('admin.delete.warning')}</p></div>
<form method="post" action="${path}/delete">${kit.token}<input type="hidden" name="confirm" value="${user.id}"><button type="submit">${kit.say('admin.delete.submit')}</button></form>
<p><a href="${path}">${kit.say('admin.delete.cancel')}</a></p>`;
}
