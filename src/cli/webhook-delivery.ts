import type { Logger } from 'pino';
import type { AuditLog } from '../core/audit.js';
import { systemClock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { createOutbox, createOutboxRelay, type Outbox, type Rejection } from '../core/outbox.js';
import { warnUnlessUnavailable } from '../outage-log.js';
import { runWhenWoken } from '../repeat.js';
import type { EngineStore } from '../store/open-store.js';
import type { OutboxDestination } from './outbox-destination.js';

export interface Delivery {
  readonly outbox: Outbox;
  idle(): Promise<void>;
  stop(): void;
}

// How often the outbox is checked for retries and for messages other instances left.
const DELIVERY_INTERVAL_MS = 1000;

/**
 * Starts delivering the outbox to its destination (the webhook receiver or the SMTP server): at
 * once when a message is written (the outbox wakes the relay), and every second for retries and
 * anything left by a crash. A message the destination refuses for good is logged at error level
 * with its reply code, and audited.
 */
export function startDelivery(destination: OutboxDestination, store: EngineStore, logger: Logger, audit: AuditLog, metrics?: Metrics): Delivery {
  const { noun, sealedBy, key, transport, batch } = destination;
  const onRejected = ({ id, type, replyCode, reason }: Rejection) => {
    logger.error({ messageId: id, type, replyCode }, `${noun} message given up: ${reason}`);
    audit({ event: 'delivery_rejected', messageId: id, type, replyCode, client: 'outbox' });
  };
  const relay = createOutboxRelay({ store, clock: systemClock, transport, key, batch, onRejected, channel: noun, ...(metrics ? { metrics } : {}) });
  const runner = runWhenWoken(
    async () => {
      const report = await relay.deliverDue();
      if (report.delivered > 0) logger.info(report, `${noun} messages delivered`);
      if (report.overdue > 0) logger.error(report, `${noun} messages undelivered for over a day; still retried every 10 minutes`);
      else if (report.unreadable > 0) logger.error(report, `${noun} messages sealed under another ${sealedBy}; left for an instance that has it`);
      else if (report.failed > 0) logger.warn(report, `${noun} deliveries failed; they are retried with backoff`);
    },
    warnUnlessUnavailable(logger, `${noun} delivery round failed; it runs again shortly`),
  );
  const timer = setInterval(() => runner.wake(), DELIVERY_INTERVAL_MS).unref();
  runner.wake();
  return {
    outbox: createOutbox(key, () => runner.wake()),
    idle: () => runner.idle(),
    stop: () => {
      clearInterval(timer);
      relay.stop();
      // Deliveries in flight hold their connection until they end; the pool closes after them.
      void runner.idle().then(() => destination.close());
    },
  };
}
