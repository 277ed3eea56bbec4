/**
 * Why a use case could not succeed. The HTTP layer maps each code to a status in one place;
 * the core never picks a status.
 */
export type AuthErrorCode =
  /** The input is malformed or breaks a rule (the message says which, `input` as data). */
  | 'invalid_input'
  /** Registration for an email key that already exists. */
  | 'email_taken'
  /** Unknown email or wrong password: deliberately indistinguishable. */
  | 'invalid_credentials'
  /** No live session behind the presented session token. */
  | 'invalid_session'
  /** A password reset was asked for an email that is not registered (compat contract). */
  | 'email_not_registered'
  /** The reset token is unknown, expired, used, or not the given email's. */
  | 'invalid_reset_token'
  /** An operator named a user that does not exist. */
  | 'user_not_found'
  /** A session id that is unknown, ended, or not the caller's (or the named user's). */
  | 'session_not_found'
  /** The refresh token is unknown, expired, reused or its session has ended. */
  | 'invalid_grant'
  /** A single-use token presented again (the course's `/refresh`): it was valid once. */
  | 'token_revoked'
  /** The caller of a protected endpoint (introspection) did not prove who it is. */
  | 'invalid_client'
  /** Too many password hashes are in flight and queued; the caller should retry shortly. */
  | 'overloaded'
  /** Too many attempts (failed password checks, reset requests) for the account or from the client. */
  | 'rate_limited'
  /** The right password of a user without the `admin` claim, at the admin console's sign-in. */
  | 'not_an_operator';

/**
 * The rule an input broke, behind `invalid_input`: a stable code, so that a page can say it in
 * its reader's language, while the API's message stays the English text it has always sent.
 */
export type InputRule =
  | `${'email' | 'username'}_${'empty' | 'not_unicode' | 'too_long' | 'control_character'}`
  | 'email_without_at'
  | 'username_with_at'
  | `password_${'empty' | 'not_unicode' | 'too_many_bytes' | 'too_long' | 'too_short' | 'too_common' | 'too_predictable' | 'own_words'}`
  | 'claims_reserved'
  | 'claims_too_large'
  /** An operator disabling or deleting their own account from the console. */
  | 'own_account'
  | 'cursor_unknown'
  | 'cursor_other_order';

/** What an `invalid_input` refused, as data. */
export interface InvalidInput {
  readonly rule: InputRule;
  /** The request field the value came in (`email`, `password`, `new_password`, `cursor`), or null when no one field is wrong. */
  readonly field: string | null;
  /** The limits the rule names (`min`, `max`), for a message to repeat. */
  readonly limits: Readonly<Record<string, number>>;
}

/** A use case that cannot succeed, with a stable code and a message safe to show the client. */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    /** For `overloaded` and `rate_limited`: when a retry makes sense, in seconds. */
    readonly retryAfterSeconds?: number,
    /** What the metrics may know beyond the code and the client never does (`disabled` behind `invalid_credentials`). */
    readonly reason?: string,
    /** For `invalid_input`: the rule broken (`invalidInput` sets it). */
    readonly input?: InvalidInput,
  ) {
    super(message);
  }
}

/** An `invalid_input` error: `message` is the API's text, the rest what a page says in its own words. */
export function invalidInput(message: string, rule: InputRule, field: string | null, limits: Readonly<Record<string, number>> = {}): AuthError {
  return new AuthError('invalid_input', message, undefined, undefined, { rule, field, limits });
}
