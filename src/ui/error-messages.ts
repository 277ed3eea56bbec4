import { AuthError, type InputRule } from '../core/errors.js';
import type { HttpError } from '../http/http-error.js';
import { MESSAGES, type MessageKey, type Say } from './messages.js';

/**
 * The catalogue's text for each rule an `invalid_input` names. Null: the generic
 * `error.invalid_input`, deliberately, since no page takes that input (usernames, claims).
 */
export const INPUT_MESSAGES: Readonly<Record<InputRule, MessageKey | null>> = {
  email_empty: 'error.input.email_empty',
  email_without_at: 'error.input.email_without_at',
  email_not_unicode: 'error.input.email_unreadable',
  email_control_character: 'error.input.email_unreadable',
  email_too_long: 'error.input.email_too_long',
  username_empty: null,
  username_with_at: null,
  username_not_unicode: null,
  username_control_character: null,
  username_too_long: null,
  password_empty: 'error.input.password_empty',
  password_not_unicode: 'error.input.password_unreadable',
  password_too_many_bytes: 'error.input.password_too_many_bytes',
  password_too_long: 'error.input.password_too_long',
  password_too_short: 'error.input.password_too_short',
  password_too_common: 'error.input.password_too_common',
  password_too_predictable: 'error.input.password_too_predictable',
  password_own_words: 'error.input.password_own_words',
  claims_reserved: null,
  claims_too_large: null,
  own_account: 'admin.user.yourself',
  cursor_unknown: 'error.input.cursor',
  cursor_other_order: 'error.input.cursor',
};

/**
 * What a page says for an error a use case or the HTTP layer raised: the catalogue's text for
 * its code, or for the rule an `invalid_input` broke. Never the error's own message, which is the
 * API's English and would stay English whatever the catalogue says.
 */
export function sayError(say: Say, error: AuthError | HttpError): string {
  if (error instanceof AuthError && error.code === 'invalid_input') {
    const key = error.input === undefined ? null : INPUT_MESSAGES[error.input.rule];
    return say(key ?? 'error.invalid_input', error.input?.limits);
  }
  const seconds = error.retryAfterSeconds ?? 1;
  if (error.code === 'rate_limited') return say(seconds === 1 ? 'error.rate_limited_one' : 'error.rate_limited', { seconds });
  const key = `error.${error.code}`;
  return say(Object.hasOwn(MESSAGES, key) ? (key as MessageKey) : 'error.bad_request');
}

/** The form field an error is about, when the core names one (`email`, `password`, `new_password`), else null. */
export function fieldOfError(error: AuthError | HttpError): string | null {
  return error instanceof AuthError ? (error.input?.field ?? null) : null;
}
