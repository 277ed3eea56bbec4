import { ADMIN_MESSAGES } from './admin/admin-messages.js';

/**
 * Every text a page shows, in one place, English by default. A deployer translates or rewords
 * them with a JSON file of their own (`SESAME_UI_MESSAGES`, docs/pages.md), which may replace
 * any of these keys and no other. `{name}` marks a value filled in when the page is drawn.
 * The admin console's keys, under `admin.`, are in admin/admin-messages.ts and merged here.
 */
export const MESSAGES = {
  'page.language': 'en',
  'page.title': '{page} · {product}',
  'nav.skip': 'Skip to content',
  'format.moment': '{date} {time} UTC',
  'format.separator': ', ',
  'format.detail_separator': ' · ',
  'nav.label': 'Account',
  'nav.log_in': 'Log in',
  'nav.sign_up': 'Sign up',
  'nav.account': 'Your account',
  'nav.log_out': 'Log out',
  'form.email': 'Email',
  'form.password': 'Password',
  'form.current_password': 'Current password',
  'form.new_password': 'New password',
  'form.password_hint': 'At least {min} characters. Long passphrases are welcome.',
  'form.errors_heading': 'There is a problem',
  'log_in.title': 'Log in',
  'log_in.submit': 'Log in',
  'log_in.forgot': 'Forgot your password?',
  'log_in.no_account': 'No account yet? Sign up',
  'sign_up.title': 'Create an account',
  'sign_up.submit': 'Create account',
  'sign_up.have_account': 'Already have an account? Log in',
  'forgot.title': 'Forgot your password',
  'forgot.intro': 'Enter your email. If it belongs to an account, we send it a link to choose a new password.',
  'forgot.submit': 'Send the link',
  'reset.title': 'Choose a new password',
  'reset.submit': 'Set the new password',
  'reset.no_token': 'This page needs the link from the reset email. Ask for a new one if it has expired.',
  'reset.ask_again': 'Ask for a new link',
  'account.title': 'Your account',
  'account.signed_in_as': 'Signed in as {email}',
  'account.change_password': 'Change your password',
  'account.change_password_note': 'Changing it logs out every other session.',
  'account.change_submit': 'Change password',
  'account.sessions': 'Your sessions',
  'account.session_this': 'This session',
  'account.session_started': 'Started {time}',
  'account.session_last_seen': 'last used {time}',
  'account.session_from': 'from {client}',
  'account.end_session': 'End this session',
  'session.kind.cookie': 'Browser session (cookie)',
  'session.kind.token': 'App session (token)',
  'session.kind.console': 'Admin console session',
  'account.end_others': 'End all other sessions',
  'account.no_others': 'No other session is open.',
  'notice.registered': 'Your account is ready. Log in to continue.',
  'notice.logged_out': 'You have logged out.',
  'notice.password_changed': 'Your password has changed. Every other session has ended.',
  'notice.reset_sent': 'If that email belongs to an account, a link to choose a new password is on its way. It works once, for a limited time.',
  'notice.password_reset': 'Your password has changed. Log in with the new one.',
  'notice.session_ended': 'The session has ended.',
  'notice.others_ended': 'Every other session has ended.',
  'notice.signed_out_elsewhere': 'Log in to continue.',
  'error.invalid_input': 'Something you entered cannot be used. Check it and try again.',
  'error.input.email_empty': 'Enter your email address.',
  'error.input.email_without_at': 'Enter an email address with an @ in it.',
  'error.input.email_unreadable': 'The email address contains characters that cannot be used.',
  'error.input.email_too_long': 'The email address is longer than {max} characters.',
  'error.input.password_empty': 'Enter a password.',
  'error.input.password_unreadable': 'The password contains characters that cannot be used.',
  'error.input.password_too_many_bytes': 'The password is too long: it takes more than {max} bytes.',
  'error.input.password_too_long': 'The password is longer than {max} characters.',
  'error.input.password_too_short': 'The password must have at least {min} characters.',
  'error.input.password_too_common': 'This password is too common: it is on a list of frequently used passwords. Choose another.',
  'error.input.password_too_predictable': 'This password is too predictable: a repeated or sequential run of characters. Choose another.',
  'error.input.password_own_words': 'The password must not be your email address or its name part.',
  'error.input.cursor': 'This link to a page of the list is not valid. Start again from the first page.',
  'error.email_taken': 'email already registered',
  'error.invalid_credentials': 'Wrong email or password.',
  'error.email_not_registered': 'email not registered',
  'error.invalid_reset_token': 'This reset link is invalid, used or expired, or not for this email. Ask for a new one.',
  'error.session_not_found': 'That session has already ended.',
  'error.rate_limited': 'Too many attempts. Try again in {seconds} seconds.',
  'error.rate_limited_one': 'Too many attempts. Try again in 1 second.',
  'error.overloaded': 'Sesame is busy. Try again in a few seconds.',
  'error.unavailable': 'The service is unavailable. Try again shortly.',
  'error.cross_site': 'This form expired or came from another site. Reload the page and try again.',
  'error.bad_request': 'The form could not be read. Reload the page and try again.',
  'error.not_found': 'There is no page here.',
  'error.method_not_allowed': 'This page cannot be used that way.',
  'error.internal': 'Something went wrong on our side. Try again shortly.',
  'error.title': 'Something went wrong',
  ...ADMIN_MESSAGES,
} as const;

export type MessageKey = keyof typeof MESSAGES;
/** A catalogue: every key, in one language. */
export type Messages = Readonly<Record<MessageKey, string>>;

/** A catalogue bound to its texts: `say` with the messages given. */
export type Say = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;

/** The catalogue's text for `key`, with each `{name}` replaced by `values[name]` (left as is when not given). */
export function say(messages: Messages, key: MessageKey, values: Readonly<Record<string, string | number>> = {}): string {
  const template = messages[key];
  return template.includes('{') ? template.replace(/\{(\w+)\}/g, (place, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : place)) : template;
}

/**
 * The English catalogue with a deployer's texts over it, and a problem for each key it does not
 * know or value that is not a string (so a misspelt key is reported, never silently ignored).
 */
export function mergeMessages(overrides: Readonly<Record<string, unknown>>, problems: string[], source: string): Messages {
  const merged: Record<string, string> = { ...MESSAGES };
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(MESSAGES, key)) problems.push(`${source}: unknown message key ${JSON.stringify(key)}`);
    else if (typeof value !== 'string') problems.push(`${source}: the message ${JSON.stringify(key)} must be a string`);
    else merged[key] = value;
  }
  return merged as Messages;
}
