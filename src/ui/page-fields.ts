import type { FastifyRequest } from 'fastify';
import { AuthError } from '../core/errors.js';
import { HttpError } from '../http/http-error.js';
import { statusOf } from '../http/error-handler.js';
import { fieldOfError, sayError } from './error-messages.js';
import type { PageKit } from './page-kit.js';
import type { MessageKey } from './messages.js';

/** A field of a posted form, or '' when it is missing or not text (the use case then says what is wrong, as the API does). */
export function fieldOf(request: FastifyRequest, name: string): string {
  const body = request.body as Record<string, unknown> | null | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

/** A query parameter, or '' (a repeated one counts as missing). */
export function queryOf(request: FastifyRequest, name: string): string {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** What a form shows after a use case refused it: the API's status, and the catalogue's text for the API's code. */
export interface FormFailure {
  readonly status: number;
  readonly message: string;
  /** The field the error is about when the core names one, else null (`errorIdsOf` then picks). */
  readonly field: string | null;
  readonly retryAfterSeconds?: number;
}

/**
 * The failure a form shows for `error`, when a use case refused the input; rethrows anything
 * else (a store outage, a bug) for the pages' error handler.
 */
export function formFailure(kit: PageKit, error: unknown): FormFailure {
  if (!(error instanceof AuthError) && !(error instanceof HttpError)) throw error;
  const seconds = error.retryAfterSeconds;
  return {
    status: statusOf(error.code),
    message: sayError(kit.say, error),
    field: fieldOfError(error),
    ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }),
  };
}

// The confirmations a redirect may ask a page to show (`?notice=`): a closed list, so a link cannot make a page say anything else.
const NOTICES: Readonly<Record<string, MessageKey>> = {
  registered: 'notice.registered',
  logged_out: 'notice.logged_out',
  password_changed: 'notice.password_changed',
  password_reset: 'notice.password_reset',
  session_ended: 'notice.session_ended',
  others_ended: 'notice.others_ended',
  reset_sent: 'notice.reset_sent',
  sign_in: 'notice.signed_out_elsewhere',
};

/** The confirmation `?notice=` names, in the reader's language, or null. */
export function noticeOf(kit: PageKit, request: FastifyRequest): string | null {
  const key = listed(NOTICES, queryOf(request, 'notice'));
  return key === undefined ? null : kit.say(key);
}

/**
 * What `name` stands for in a closed list, or undefined: only the list's own names count, so a
 * query naming what every object inherits (`constructor`, `__proto__`) finds nothing.
 */
export function listed<T>(list: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(list, name) ? list[name] : undefined;
}

/** The hint under a new password's field: the minimum length, when there is one worth saying. */
export function passwordHint(kit: PageKit): string | undefined {
  return kit.ui.passwordMinLength > 1 ? kit.say('form.password_hint', { min: kit.ui.passwordMinLength }) : undefined;
}
