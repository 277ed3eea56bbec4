import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** An event the receiver accepted: its id and its parsed body. */
export interface ReceivedEvent {
  readonly id: string;
  readonly type: string;
  readonly timestamp: string;
  readonly data: Record<string, string>;
}

/** A raw delivery as it arrived, to replay it. */
export interface RawDelivery {
  readonly headers: Record<string, string>;
  readonly body: string;
}

// Standard Webhooks' tolerance: a delivery signed more than five minutes away is refused.
const TOLERANCE_SECONDS = 300;

/**
 * Verifies a delivery as the receiver snippet of docs/configuration.md does (Standard
 * Webhooks): the signature over "<id>.<timestamp>.<body>" in constant time, the timestamp
 * within five minutes, and the id not seen before. Returns why it refuses, or null to accept.
 */
export function refusal(headers: IncomingHttpHeaders, body: string, secret: Buffer, seen: ReadonlySet<string>, nowSeconds: number): string | null {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return 'missing headers';
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return 'stale timestamp';
  const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest();
  const valid = signatures.split(' ').some((entry) => {
    const [version, signature = ''] = entry.split(',');
    const presented = Buffer.from(signature, 'base64');
    return version === 'v1' && presented.length === expected.length && timingSafeEqual(presented, expected);
  });
  if (!valid) return 'bad signature';
  if (seen.has(id)) return 'replayed';
  return null;
}

/**
 * A webhook receiver for tests, on 127.0.0.1: verifies each delivery, keeps the accepted
 * events in order, and answers 500 to the first `failures` deliveries (to exercise retries).
 */
export class WebhookReceiver {
  readonly events: ReceivedEvent[] = [];
  readonly refusals: string[] = [];
  readonly raw: RawDelivery[] = [];
  /** Deliveries this receiver accepted that the reference Standard Webhooks library refused: a check independent of our own code. */
  readonly libraryRefusals: string[] = [];
  readonly #server: Server;
  readonly #seen = new Set<string>();
  #failures: number;

  private constructor(secret: Buffer, failures: number) {
    this.#failures = failures;
    this.#server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        if (this.#failures > 0) {
          this.#failures -= 1;
          response.writeHead(500).end();
          return;
        }
        const why = refusal(request.headers, body, secret, this.#seen, Math.floor(Date.now() / 1000));
        if (why !== null) {
          this.refusals.push(why);
          response.writeHead(why === 'replayed' ? 409 : 401).end();
          return;
        }
        try {
          new Webhook(`whsec_${secret.toString('base64')}`).verify(body, request.headers as Record<string, string>);
        } catch (error) {
          this.libraryRefusals.push((error as Error).message);
        }
        const id = request.headers['webhook-id'] as string;
        this.#seen.add(id);
        this.raw.push({ headers: pick(request.headers), body });
        this.events.push({ id, ...(JSON.parse(body) as Omit<ReceivedEvent, 'id'>) });
        response.writeHead(204).end();
      });
    });
  }

  /** Starts a receiver on a free port (or `port`). */
  static async start(secret: Buffer, { failures = 0, port = 0 } = {}): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(secret, failures);
    await new Promise<void>((resolve) => receiver.#server.listen(port, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/sesame`;
  }

  /** The first accepted event of `type`, waiting up to `timeoutMs` for it. */
  async next(type: string, timeoutMs = 10_000): Promise<ReceivedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.events.find((each) => each.type === type);
      if (event) return event;
      if (Date.now() > deadline) throw new Error(`no ${type} event within ${timeoutMs} ms; got ${this.events.map((each) => each.type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends a delivery to this receiver again, as an attacker who captured it would; the status. */
  async replay(delivery: RawDelivery, headers: Record<string, string> = {}): Promise<number> {
    const response = await fetch(this.url, { method: 'POST', headers: { ...delivery.headers, ...headers }, body: delivery.body });
    return response.status;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function pick(headers: IncomingHttpHeaders): Record<string, string> {
  const names = ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature'];
  return Object.fromEntries(names.map((name) => [name, String(headers[name] ?? '')]));
}
