import { createHmac } from 'node:crypto';
import type { WebhookDelivery, WebhookTransport } from '../core/outbox.js';

// A receiver that does not answer within this is counted as a failed attempt.
const TIMEOUT_MS = 10_000;

/**
 * Delivers webhook messages by HTTP POST, signed as Standard Webhooks specifies
 * (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`, so that a
 * receiver verifies the sender and the body with any Standard Webhooks library, and rejects
 * replays by the timestamp and the id.
 */
export class HttpWebhook implements WebhookTransport {
  readonly #url: string;
  readonly #secret: Buffer;

  constructor(url: string, secret: Buffer) {
    this.#url = url;
    this.#secret = secret;
  }

  async send({ id, body }: WebhookDelivery): Promise<void> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', this.#secret).update(`${id}.${timestamp}.${body}`).digest('base64');
    const response = await fetch(this.#url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` },
      body,
      // A redirect would send the reset token somewhere nobody configured.
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the webhook receiver answered ${response.status}`);
  }
}
