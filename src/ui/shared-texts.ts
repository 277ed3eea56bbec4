import type { SessionKind } from '../core/store.js';
import type { MessageKey, Say } from './messages.js';

/** A moment as pages show it: UTC, to the minute, laid out by the catalogue's `format.moment`. */
export function sayMoment(say: Say, at: Date): string {
  const iso = at.toISOString();
  return say('format.moment', { date: iso.slice(0, 10), time: iso.slice(11, 16) });
}

/** What a session is called where its client sent no user agent to name it by. */
export const SESSION_KINDS: Readonly<Record<SessionKind, MessageKey>> = {
  cookie: 'session.kind.cookie',
  token: 'session.kind.token',
  console: 'session.kind.console',
};
