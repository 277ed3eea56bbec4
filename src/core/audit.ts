/**
 * The security events an operator must be able to follow (ASVS 16.3.1), one structured event
 * each. None carries a secret: no password, token, cookie or hash of one. An email as typed is
 * not recorded either (users type passwords into email fields); `account` is a short digest of
 * the email key instead, so events about one account can be grouped without it.
 */
export type AuditEvent =
  | { readonly event: 'login_succeeded'; readonly userId: string; readonly sessionId: string; readonly via: 'cookie' | 'token' }
  | {
      readonly event: 'login_failed';
      readonly account: string;
      /** The account's user when it exists; null for an unknown email. */
      readonly userId: string | null;
      readonly via: 'cookie' | 'token' | 'password_change';
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
  | { readonly event: 'refresh_reused'; readonly userId: string; readonly sessionId: string };

/** Where a request came from, as the HTTP layer determined it (`SESAME_TRUST_PROXY`). */
export interface Client {
  /** The client's IP address. */
  readonly address: string;
}

/** Receives each audit event with the address of the client that caused it. */
export type AuditLog = (event: AuditEvent & { readonly client: string }) => void;
