import type { Logger } from 'pino';
import type { Auth } from './core/auth.js';

/**
 * Purges expired sessions and reset tokens every `intervalSeconds` (never when 0) until the
 * returned function is called. A failed purge is logged and retried at the next interval;
 * the timer never keeps the process alive on its own.
 */
export function schedulePurge(auth: Auth, intervalSeconds: number, logger: Logger): () => void {
  if (intervalSeconds === 0) return () => undefined;
  const timer = setInterval(() => {
    auth.purgeExpired().then(
      (purged) => logger.info({ purged }, 'expired rows purged'),
      (error: unknown) => logger.warn({ err: error }, 'purge failed; it runs again at the next interval'),
    );
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
