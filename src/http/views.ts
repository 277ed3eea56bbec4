import type { UserView } from '../core/admin.js';
import type { SessionView } from '../core/session-views.js';
import type { OwnSessionView } from '../core/own-sessions.js';

/** A user as the admin API answers it: snake_case, times in ISO 8601. */
export function userJson(user: UserView) {
  return {
    id: user.id,
    email: user.email,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
    disabled: user.disabled,
    locked: user.locked,
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
    claims: user.claims,
  };
}

/** A session as the admin API and `GET /sessions` answer it. */
export function sessionJson(session: SessionView) {
  return {
    id: session.id,
    kind: session.kind,
    created_at: session.createdAt.toISOString(),
    last_seen_at: session.lastSeenAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    client_address: session.clientAddress,
    user_agent: session.userAgent,
  };
}

/** One of the caller's own sessions, marked when it is the one the request came with. */
export function ownSessionJson(session: OwnSessionView) {
  return { ...sessionJson(session), current: session.current };
}
