import { createHmac } from 'node:crypto';
import type { Clock } from './clock.js';
import { seal, unseal } from './key-encryption.js';
import { noMetrics, type DeliveryChannel, type Metrics } from './metrics.js';
import { generateId } from './secrets.js';
import type { OutboxMessage, Store } from './store.js';

/**
 * What the webhook receiver is told. `password_reset.requested` carries the reset token for
 * the receiver to deliver (by email, say); `password_reset.unknown_email` says a reset was
 * asked for an email with no account (the receiver may tell that address, or ignore it);
 * `password.changed` lets it tell the user their password changed (ASVS 6.3.7), by themselves,
 * by a reset or by an operator; `user.deleted` says an operator deleted the user.
 */
export type WebhookEvent =
  | {
      readonly type: 'password_reset.requested';
      readonly data: { readonly user_id: string; readonly email: string; readonly reset_token: string; readonly expires_at: string };
    }
  | { readonly type: 'password_reset.unknown_email'; readonly data: { readonly email: string } }
  | {
      readonly type: 'password.changed';
      readonly data: { readonly user_id: string; readonly email: string; readonly reason: 'change' | 'reset' | 'operator' };
    }
  | { readonly type: 'user.deleted'; readonly data: { readonly user_id: string; readonly email: string } };

/** One delivery: the message id (the receiver's idempotency key) and the exact JSON body. */
export interface WebhookDelivery {
  readonly id: string;
  readonly body: string;
}

/** The port of what leaves the machine: hands one delivery to the receiver (a webhook, an SMTP server). */
export interface WebhookTransport {
  /**
   * Resolves when the receiver acknowledged the delivery (or when there is nothing to send for
   * it); throws otherwise, a `RejectedDelivery` when trying again cannot help.
   */
  send(delivery: WebhookDelivery): Promise<void>;
}

/** Thrown by a transport when the receiver refused a delivery for good (an SMTP 5xx): the message is dropped, not retried. */
export class RejectedDelivery extends Error {
  override readonly name = 'RejectedDelivery';

  /** `replyCode`: the receiver's answer (an SMTP reply code), or null when Sesame itself refused to send. */
  constructor(
    message: string,
    readonly replyCode: number | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A message given up on: its id, what it was about, and the receiver's answer. */
export interface Rejection {
  readonly id: string;
  readonly type: string;
  readonly replyCode: number | null;
  readonly reason: string;
}

/** The outbox as the use cases see it: how to seal messages, and how to say one is waiting. */
export interface Outbox {
  /** A new message for `event`, due at once. */
  message(event: WebhookEvent, now: Date): OutboxMessage;
  /** Tells the relay a message is waiting, so that it need not wait for its next round. */
  wake(): void;
}

/** A key for sealing outbox payloads, derived from the webhook secret (so the database alone never holds a readable reset token). */
export function outboxSealingKey(webhookSecret: Uint8Array): Buffer {
  return createHmac('sha256', webhookSecret).update('sesame outbox sealing').digest();
}

/**
 * A key for sealing outbox payloads bound for SMTP, derived from the key-encryption key. Without
 * one (compat), the seal only binds a payload to its row: whoever reads the database reads the
 * reset links not yet sent (docs/email.md).
 */
export function emailSealingKey(encryptionKey: Uint8Array | null): Buffer {
  return createHmac('sha256', encryptionKey ?? Buffer.alloc(0)).update('sesame outbox email sealing').digest();
}

/** Builds an `Outbox` sealing with `key`. */
export function createOutbox(key: Buffer, wake: () => void): Outbox {
  return {
    message(event, now) {
      const id = generateId();
      // Standard Webhooks' payload shape: type, timestamp, data.
      const body = JSON.stringify({ type: event.type, timestamp: now.toISOString(), data: event.data });
      return { id, payload: seal(body, key, `outbox:${id}`), createdAt: now, attempts: 0, nextAttemptAt: now };
    },
    wake,
  };
}

/** What one round of the relay did. */
export interface RelayReport {
  readonly delivered: number;
  /** Failed this round; each is tried again later. */
  readonly failed: number;
  /** Of those, sealed under another secret (an instance with another `SESAME_WEBHOOK_SECRET`). */
  readonly unreadable: number;
  /** Of those, waiting for more than a day: the receiver has been away too long. */
  readonly overdue: number;
}

// Messages per round unless the transport says otherwise; a lease outlasts any round (its
// deliveries run at once, each at most 10 s by webhook, about 25 s by SMTP).
const BATCH = 20;
const LEASE_MS = 30_000;
// Retries back off from 1 s, doubling, to every 10 min, for as long as it takes.
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 600_000;
const OVERDUE_AFTER_MS = 86_400_000;

type Outcome = 'delivered' | 'failed' | 'unreadable' | Rejection;

/**
 * Delivers due outbox messages, at least once each: a message is removed only after the
 * receiver acknowledged it, so a crash or a failed attempt means another attempt (the receiver
 * de-duplicates by the message id), and no message is given up on unless the receiver refuses
 * it for good (`onRejected` hears of it). Instances share the work through the store's leases.
 * `batch` bounds the deliveries in flight. `stop` ends the current round after its batch.
 */
export function createOutboxRelay(deps: {
  readonly store: Store;
  readonly clock: Clock;
  readonly transport: WebhookTransport;
  readonly key: Buffer;
  readonly batch?: number | undefined;
  /** Told of each message the receiver refused for good, once it is removed. */
  readonly onRejected?: ((rejection: Rejection) => void) | undefined;
  /** Where each delivery's outcome is counted, under `channel` (the transport's kind). */
  readonly metrics?: Metrics;
  readonly channel?: DeliveryChannel;
}) {
  const { store, clock, transport, key, batch = BATCH, onRejected, metrics = noMetrics, channel = 'webhook' } = deps;
  let isStopped = false;

  async function retryLater(message: OutboxMessage): Promise<void> {
    const attempts = message.attempts + 1;
    const delayMs = Math.min(RETRY_BASE_MS * 2 ** (attempts - 1), RETRY_MAX_MS);
    await store.rescheduleMessage(message.id, attempts, new Date(clock.now().getTime() + delayMs));
  }

  async function deliver(message: OutboxMessage): Promise<Outcome> {
    let body: string;
    try {
      body = unseal(message.payload, key, `outbox:${message.id}`);
    } catch {
      // Another instance's secret (a rotation under way): left for an instance that can read it.
      await retryLater(message);
      return 'unreadable';
    }
    try {
      await transport.send({ id: message.id, body });
    } catch (error) {
      if (error instanceof RejectedDelivery) {
        await store.deleteMessage(message.id);
        return { id: message.id, type: (JSON.parse(body) as { type: string }).type, replyCode: error.replyCode, reason: error.message };
      }
      await retryLater(message);
      return 'failed';
    }
    await store.deleteMessage(message.id);
    return 'delivered';
  }

  return {
    /** Delivers every message due now, a batch at a time; resolves with what happened. */
    async deliverDue(): Promise<RelayReport> {
      const report = { delivered: 0, failed: 0, unreadable: 0, overdue: 0 };
      while (!isStopped) {
        const now = clock.now();
        const due = await store.claimMessages(now, new Date(now.getTime() + LEASE_MS), batch);
        const outcomes = await Promise.all(due.map(deliver));
        for (const outcome of outcomes) metrics.delivery(channel, typeof outcome === 'object' ? 'rejected' : outcome);
        outcomes.forEach((outcome, index) => {
          if (outcome === 'delivered') {
            report.delivered += 1;
            return;
          }
          if (typeof outcome === 'object') {
            onRejected?.(outcome);
            return;
          }
          report.failed += 1;
          if (outcome === 'unreadable') report.unreadable += 1;
          if (now.getTime() - due[index]!.createdAt.getTime() > OVERDUE_AFTER_MS) report.overdue += 1;
        });
        if (due.length < batch) break;
      }
      return report;
    },
    /** Takes no further batch; a delivery in flight finishes, or its lease lapses and another instance sends it. */
    stop(): void {
      isStopped = true;
    },
  };
}
