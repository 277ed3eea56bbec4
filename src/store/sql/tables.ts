/** Table shapes as the SQL engines hold them. Times are milliseconds since the epoch. */
export interface UsersTable {
  id: string;
  email: string;
  email_key: string;
  password_hash: string;
  password_normalization: string;
  password_version: number;
  claims: string | null;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
  last_login_at: number | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  kind: string;
  token_hash: string | null;
  refresh_hash: string | null;
  refresh_generation: number;
  refreshed_at: number | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  client_address: string | null;
  user_agent: string | null;
}

export interface ResetTokensTable {
  user_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
}

export interface KeysTable {
  kid: string;
  purpose: string;
  position: number;
  algorithm: string | null;
  public_jwk: string | null;
  private_material: string;
  created_at: number;
}

export interface OutboxTable {
  id: string;
  payload: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
}

export interface Tables {
  outbox: OutboxTable;
  users: UsersTable;
  sessions: SessionsTable;
  reset_tokens: ResetTokensTable;
  /** One row of a reset token's shape that a reset request for an unknown email writes over. */
  reset_decoys: ResetTokensTable;
  keys: KeysTable;
}
