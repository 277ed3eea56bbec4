import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { systemClock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { createOutbox, createOutboxRelay, outboxSealingKey, type Outbox } from '../core/outbox.js';
import { HttpWebhook } from '../delivery/http-webhook.js';
import { warnUnlessUnavailable } from '../outage-log.js';
import { runWhenWoken } from '../repeat.js';
import type { EngineStore } from '../store/open-store.js';

export interface Delivery {
  readonly outbox: Outbox;
  idle(): Promise<void>;
  stop(): void;
}

// How often the outbox is checked for retries and for messages other instances left.
const DELIVERY_INTERVAL_MS = 1000;

/**
 * Starts delivering the outbox to the webhook receiver: at once when a message is written
 * (the outbox wakes the relay), and every second for retries and anything left by a crash.
 */
export function startDelivery(webhook: NonNullable<Config['webhook']>, store: EngineStore, logger: Logger, metrics?: Metrics): Delivery {
  const key = outboxSealingKey(webhook.secret);
  const relay = createOutboxRelay({ store, clock: systemClock, transport: new HttpWebhook(webhook.url, webhook.secret), key, ...(metrics ? { metrics } : {}) });
  const runner = runWhenWoken(
    async () => {
      const report = await relay.deliverDue();
      if (report.delivered > 0) logger.info(report, 'webhook messages delivered');
      if (report.overdue > 0) logger.error(report, 'webhook messages undelivered for over a day; still retried every 10 minutes');
      else if (report.unreadable > 0) logger.error(report, 'webhook messages sealed under another SESAME_WEBHOOK_SECRET; left for an instance that has it');
      else if (report.failed > 0) logger.warn(report, 'webhook deliveries failed; they are retried with backoff');
    },
    warnUnlessUnavailable(logger, 'webhook delivery round failed; it runs again shortly'),
  );
  const timer = setInterval(() => runner.wake(), DELIVERY_INTERVAL_MS).unref();
  runner.wake();
  return {
    outbox: createOutbox(key, () => runner.wake()),
    idle: () => runner.idle(),
    stop: () => {
      clearInterval(timer);
      relay.stop();
    },
  };
}
