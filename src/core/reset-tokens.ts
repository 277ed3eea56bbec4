import { generateSecret, hashSecret } from './secrets.js';
import type { ResetToken } from './store.js';

/** A new reset token for `userId`, valid for `ttlSeconds` from `now`: the secret for the user and the record to store. */
export function newResetToken(userId: string, now: Date, ttlSeconds: number): { token: string; record: ResetToken } {
  const token = generateSecret();
  const record: ResetToken = {
    userId,
    tokenHash: hashSecret(token),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
  };
  return { token, record };
}

/** True when the stored token belongs to `userId` and has not expired at `now`. */
export function isResetTokenUsable(record: ResetToken, userId: string, now: Date): boolean {
  return record.userId === userId && now.getTime() < record.expiresAt.getTime();
}
