import type { UserPage, UserView } from '../core/admin.js';
import type { SessionView } from '../core/session-views.js';
import { userJson as adminUserJson } from '../http/views.js';

export { sessionJson } from '../http/views.js';

/*
 * What the operator commands print: aligned tables for a person, and with `--json` one JSON
 * document with the admin API's field names, for scripts. Without shared counters (Redis) the
 * command cannot see whether the running instances hold an account locked, so `locked` is
 * null in JSON and `?` in tables rather than a `false` it does not know.
 */

/** A user with the admin API's field names; `locked` is null when the command cannot know it. */
export function userJson(user: UserView, knowsLocks: boolean): Record<string, unknown> {
  return { ...adminUserJson(user), locked: knowsLocks ? user.locked : null };
}

/** A page of users as `GET /admin/users` answers it. */
export function userPageJson(page: UserPage, knowsLocks: boolean): string {
  return JSON.stringify({ users: page.users.map((user) => userJson(user, knowsLocks)), next_cursor: page.nextCursor });
}

/** One row per user, with the columns an operator scans for. */
export function userTable(users: readonly UserView[], knowsLocks: boolean): string {
  return table(
    ['ID', 'EMAIL', 'CREATED', 'LAST SIGN-IN', 'DISABLED', 'LOCKED'],
    users.map((user) => [user.id, printable(user.email), time(user.createdAt), time(user.lastLoginAt), yesNo(user.disabled), knowsLocks ? yesNo(user.locked) : '?']),
  );
}

/** One user, a field a line. */
export function userDetails(user: UserView, knowsLocks: boolean): string {
  return table(
    [],
    [
      ['id', user.id],
      ['email', printable(user.email)],
      ['created', time(user.createdAt)],
      ['updated', time(user.updatedAt)],
      ['last sign-in', time(user.lastLoginAt)],
      ['disabled', yesNo(user.disabled)],
      ['locked', knowsLocks ? yesNo(user.locked) : '? (out of reach without Redis)'],
      ['claims', user.claims === null ? '-' : JSON.stringify(user.claims)],
    ],
  );
}

export function sessionTable(sessions: readonly SessionView[]): string {
  return table(
    ['ID', 'KIND', 'CREATED', 'LAST SEEN', 'EXPIRES', 'CLIENT', 'USER AGENT'],
    sessions.map((session) => [
      session.id,
      session.kind,
      time(session.createdAt),
      time(session.lastSeenAt),
      time(session.expiresAt),
      session.clientAddress ?? '-',
      session.userAgent === null ? '-' : printable(session.userAgent),
    ]),
  );
}

// To the second, in UTC: what a person compares across machines.
function time(at: Date | null): string {
  return at === null ? '-' : `${at.toISOString().slice(0, 19)}Z`;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

// A user agent is whatever a client sent: no control character of it may drive the operator's terminal.
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

// Columns padded to their widest cell, two spaces apart; a header row when `headers` has any.
function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = headers.length > 0 ? [headers, ...rows] : rows;
  const widths = all.reduce<number[]>((max, row) => row.map((cell, index) => Math.max(max[index] ?? 0, cell.length)), []);
  return all.map((row) => row.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd()).join('\n');
}
