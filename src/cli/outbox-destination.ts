import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { emailSealingKey, outboxSealingKey, type WebhookTransport } from '../core/outbox.js';
import { HttpWebhook } from '../delivery/http-webhook.js';

/** Where the outbox goes: the webhook receiver or the SMTP server (configuration allows one). */
export interface OutboxDestination {
  /** What the log calls its messages: `webhook` or `email`. */
  readonly noun: 'webhook' | 'email';
  /** The setting whose secret seals the payloads. */
  readonly sealedBy: string;
  readonly key: Buffer;
  readonly transport: WebhookTransport;
  /** Deliveries in flight at most; one per SMTP connection, so none waits for a connection beyond its lease. */
  readonly batch?: number;
  close(): void;
}

/** The key that seals outbox payloads, or null when nothing is configured to deliver them. */
export function outboxKey(config: Config): Buffer | null {
  if (config.webhook) return outboxSealingKey(config.webhook.secret);
  if (config.email) return emailSealingKey(config.keys.encryptionKey);
  return null;
}

/** Opens the configured destination, or null for none. */
export async function openOutboxDestination(config: Config, logger: Logger): Promise<OutboxDestination | null> {
  if (config.webhook) {
    const transport = new HttpWebhook(config.webhook.url, config.webhook.secret);
    return { noun: 'webhook', sealedBy: 'SESAME_WEBHOOK_SECRET', key: outboxSealingKey(config.webhook.secret), transport, close: () => undefined };
  }
  if (config.email) {
    // Loaded only where email is configured: nodemailer is some megabytes of memory otherwise idle.
    const { SmtpEmail } = await import('../delivery/smtp-email.js');
    const transport = new SmtpEmail(config.email, logger);
    return {
      noun: 'email',
      sealedBy: 'SESAME_KEY_ENCRYPTION_KEY',
      key: emailSealingKey(config.keys.encryptionKey),
      transport,
      batch: config.email.smtp.maxConnections,
      close: () => transport.close(),
    };
  }
  return null;
}
