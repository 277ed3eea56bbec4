/**
 * The security events an operator must be able to follow (ASVS 16.3.1), one structured event
 * each. None carries a secret: no password, token, cookie or hash of one. An email as typed is
 * not recorded either (users type passwords into email fields); `account` is a short digest of
 * the email key instead, so events about one account can be grouped without it.
 */
export type AuditEvent =
  | { readonly event: 'login_succeeded'; readonly userId: string; readonly sessionId: string; readonly via: 'cookie' | 'token' | 'console' }
  | {
      readonly event: 'login_failed';
      readonly account: string;
      /** The account's user when it exists; null for an unknown email. */
      readonly userId: string | null;
      readonly via: 'cookie' | 'token' | 'password_change' | 'console';
      /**
       * Set when the password was right: `disabled`, an operator has disabled the account;
       * `not_operator`, the admin console's sign-in for a user without the `admin` claim.
       */
      readonly reason?: 'disabled' | 'not_operator';
    }
  | {
      readonly event: 'limit_hit';
      /** The account the refused attempt named; null for the limits of a client alone (registrations, refresh and reset tokens). */
      readonly account: string | null;
      /**
       * Which limits refused: `account_client`, `account`, `client`, `reset_account_client`,
       * `reset_client`, `register_client`, `refresh_client`, `reset_token_client`.
       */
      readonly limits: readonly string[];
      readonly retryAfterSeconds: number;
    }
  | { readonly event: 'logged_out'; readonly userId: string; readonly sessionId: string }
  | { readonly event: 'token_revoked'; readonly userId: string; readonly sessionId: string }
  | { readonly event: 'password_changed'; readonly userId: string; readonly sessionId: string; readonly endedSessions: number }
  | { readonly event: 'reset_requested'; readonly account: string; readonly userId: string | null }
  | { readonly event: 'password_reset'; readonly userId: string; readonly endedSessions: number }
  | { readonly event: 'account_deleted'; readonly userId: string; readonly endedSessions: number }
  | { readonly event: 'refresh_reused'; readonly userId: string; readonly sessionId: string }
  /** A user ended one of their own sessions from another (`DELETE /sessions/{id}`). */
  | { readonly event: 'session_ended'; readonly userId: string; readonly sessionId: string; readonly bySessionId: string }
  /** The outbox's destination refused a message for good (an SMTP 5xx): it is not sent. `client` is `outbox`. */
  | { readonly event: 'delivery_rejected'; readonly messageId: string; readonly type: string; readonly replyCode: number | null }
  | {
      readonly event: 'admin_action';
      readonly action: AdminAction;
      /** The user acted on; null when the action named none that exists. */
      readonly userId: string | null;
      /** The session acted on, for `session.end`. */
      readonly sessionId?: string;
      /** Sessions the action ended. */
      readonly endedSessions?: number;
      /** Present, and false, when the action found the user already as asked (a disable of a disabled user): nothing changed. */
      readonly changed?: false;
      /** Which door the operator came through: the admin token, the admin listener, the command line, the admin console. */
      readonly caller: AdminDoor;
      /** The operator's own user id, when they signed in as a user (the admin console). */
      readonly operatorId?: string;
    };

/** What an operator did. */
export type AdminAction =
  | 'user.create'
  | 'user.update'
  | 'user.disable'
  | 'user.enable'
  | 'user.set_password'
  | 'user.delete'
  | 'user.unlock'
  | 'session.end'
  | 'sessions.end_all';

/**
 * `token`: the admin bearer token; `listener`: the admin listener without a token; `cli`: a shell
 * on the host; `console`: a user with the `admin` claim, signed in to the admin console.
 */
export type AdminDoor = 'token' | 'listener' | 'cli' | 'console';

/** Where a request came from, as the HTTP layer determined it (`SESAME_TRUST_PROXY`). */
export interface Client {
  /** The client's IP address. */
  readonly address: string;
  /** Its `User-Agent` header, recorded with a session it signs in to; absent when there is none. */
  readonly userAgent?: string;
  /** The id of the request it made (`X-Request-Id`); absent outside a request (the command line). */
  readonly requestId?: string;
}

/** Where an audit event came from: the client's address, and the request's id when there was a request. */
export interface AuditOrigin {
  readonly client: string;
  readonly requestId?: string;
}

/** Receives each audit event with the address of the client that caused it and the id of its request. */
export type AuditLog = (event: AuditEvent & AuditOrigin) => void;

/** A client's part of its audit events: an operator follows one request through the log by its id. */
export function auditOrigin(client: Client): AuditOrigin {
  return client.requestId === undefined ? { client: client.address } : { client: client.address, requestId: client.requestId };
}
