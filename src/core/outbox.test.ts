import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { testConfig } from '../../test/support/test-config.js';
import { loadConfig } from '../config.js';
import { createOutboxRelay, emailSealingKey, outboxSealingKey, RejectedDelivery, type Rejection, type WebhookDelivery } from './outbox.js';

const client = { address: '203.0.113.7' };
const anyString = expect.any(String) as unknown as string;
const webhook = { url: 'https://hooks.example/sesame', secret: Buffer.alloc(32, 5) };

let h: Harness;
afterEach(async () => h.close());

/** A transport that records what it is given and fails while `failing` is true: the only fake, since it is what leaves the machine. */
function capture() {
  const sent: Array<{ id: string; body: { type: string; timestamp: string; data: Record<string, string> } }> = [];
  const transport = {
    failing: false,
    send(delivery: WebhookDelivery) {
      if (transport.failing) return Promise.reject(new Error('receiver down'));
      sent.push({ id: delivery.id, body: JSON.parse(delivery.body) as (typeof sent)[number]['body'] });
      return Promise.resolve();
    },
  };
  return { sent, transport };
}

async function setUp(resetTokenDelivery: 'webhook' | 'response' = 'webhook') {
  h = await createHarness(testConfig({ webhook, auth: { resetTokenDelivery } }));
  await h.auth.register('a@x.io', 'pw', client);
  const { sent, transport } = capture();
  const relay = createOutboxRelay({ store: h.store, clock: h.clock, transport, key: outboxSealingKey(webhook.secret) });
  return { sent, transport, relay };
}

describe('reset tokens by webhook', () => {
  it('answers known and unknown emails alike, and sends the token only to the receiver', async () => {
    const { sent, relay } = await setUp();
    expect(await h.auth.requestPasswordReset('A@x.io', client)).toEqual({ resetToken: null });
    expect(await h.auth.requestPasswordReset('nobody@x.io', client)).toEqual({ resetToken: null });
    expect(await relay.deliverDue()).toEqual({ delivered: 2, failed: 0, unreadable: 0, overdue: 0 });
    const requested = sent.find((each) => each.body.type === 'password_reset.requested');
    const unknown = sent.find((each) => each.body.type === 'password_reset.unknown_email');
    expect(requested!.body).toEqual({
      type: 'password_reset.requested',
      timestamp: h.clock.now().toISOString(),
      data: { user_id: anyString, email: 'a@x.io', reset_token: anyString, expires_at: new Date(h.clock.now().getTime() + 3_600_000).toISOString() },
    });
    expect(unknown!.body).toMatchObject({ type: 'password_reset.unknown_email', data: { email: 'nobody@x.io' } });
    await h.auth.resetPassword('a@x.io', requested!.body.data.reset_token!, 'new', client);
    await relay.deliverDue();
    expect(sent[2]!.body).toMatchObject({ type: 'password.changed', data: { user_id: requested!.body.data.user_id, email: 'a@x.io', reason: 'reset' } });
    expect(await relay.deliverDue()).toEqual({ delivered: 0, failed: 0, unreadable: 0, overdue: 0 });
  });

  it('keeps the waiting token sealed in the store', async () => {
    const { transport, relay, sent } = await setUp();
    transport.failing = true;
    await h.auth.requestPasswordReset('a@x.io', client);
    await relay.deliverDue();
    const [waiting] = await h.store.claimMessages(new Date(h.clock.now().getTime() + 86_400_000), h.clock.now(), 10);
    expect(waiting!.payload).toMatch(/^sealed:v1:/);
    expect(waiting!.payload).not.toContain('a@x.io');
    expect(sent).toEqual([]);
  });

  it('still answers with the token in response delivery, and sends password-change notices', async () => {
    const { sent, relay } = await setUp('response');
    const { resetToken } = await h.auth.requestPasswordReset('a@x.io', client);
    expect(resetToken).toEqual(expect.any(String));
    const { sessionToken } = await h.auth.logIn('a@x.io', 'pw', null, client);
    await h.auth.changePassword((await h.auth.validateSessionToken(sessionToken))!, 'pw', 'new', client);
    await relay.deliverDue();
    expect(sent.map((each) => [each.body.type, each.body.data.reason])).toEqual([['password.changed', 'change']]);
  });
});

describe('the outbox relay', () => {
  it('retries a failed delivery with a doubling delay, then removes it once delivered', async () => {
    const { transport, relay, sent } = await setUp();
    transport.failing = true;
    await h.auth.requestPasswordReset('nobody@x.io', client);
    expect(await relay.deliverDue()).toEqual({ delivered: 0, failed: 1, unreadable: 0, overdue: 0 });
    const waits: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      let waited = 0;
      while ((await relay.deliverDue()).failed === 0) {
        h.clock.advanceSeconds(1);
        waited += 1;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1, 2, 4, 8]);
    transport.failing = false;
    h.clock.advanceSeconds(16);
    expect(await relay.deliverDue()).toEqual({ delivered: 1, failed: 0, unreadable: 0, overdue: 0 });
    expect(sent).toHaveLength(1);
  });

  it('never gives up: a message undelivered for a day is reported overdue and still retried', async () => {
    const { transport, relay, sent } = await setUp();
    transport.failing = true;
    await h.auth.requestPasswordReset('nobody@x.io', client);
    await relay.deliverDue();
    h.clock.advanceSeconds(86_401);
    expect(await relay.deliverDue()).toEqual({ delivered: 0, failed: 1, unreadable: 0, overdue: 1 });
    transport.failing = false;
    h.clock.advanceSeconds(600);
    expect(await relay.deliverDue()).toEqual({ delivered: 1, failed: 0, unreadable: 0, overdue: 0 });
    expect(sent).toHaveLength(1);
  });

  it('leaves a message sealed under another secret for an instance that has it', async () => {
    const { relay, sent } = await setUp();
    await h.auth.requestPasswordReset('nobody@x.io', client);
    const other = createOutboxRelay({ store: h.store, clock: h.clock, transport: capture().transport, key: outboxSealingKey(Buffer.alloc(32, 6)) });
    expect(await other.deliverDue()).toEqual({ delivered: 0, failed: 1, unreadable: 1, overdue: 0 });
    h.clock.advanceSeconds(1);
    expect(await relay.deliverDue()).toEqual({ delivered: 1, failed: 0, unreadable: 0, overdue: 0 });
    expect(sent).toHaveLength(1);
  });

  it('takes no further batch once stopped', async () => {
    const { relay, sent } = await setUp();
    await h.auth.requestPasswordReset('nobody@x.io', client);
    relay.stop();
    expect(await relay.deliverDue()).toEqual({ delivered: 0, failed: 0, unreadable: 0, overdue: 0 });
    expect(sent).toEqual([]);
  });

  it('delivers again a message whose delivery was never acknowledged (a crash mid-send): at least once', async () => {
    const { relay, sent } = await setUp();
    await h.auth.requestPasswordReset('nobody@x.io', client);
    // Another instance claimed it and died before acknowledging.
    expect(await h.store.claimMessages(h.clock.now(), new Date(h.clock.now().getTime() + 30_000), 10)).toHaveLength(1);
    expect(await relay.deliverDue()).toEqual({ delivered: 0, failed: 0, unreadable: 0, overdue: 0 });
    h.clock.advanceSeconds(30);
    expect(await relay.deliverDue()).toEqual({ delivered: 1, failed: 0, unreadable: 0, overdue: 0 });
    expect(sent).toHaveLength(1);
  });
});

describe('the outbox relay, refused for good', () => {
  it('removes a message the receiver refuses for good and tells of it, retrying nothing; other messages go on', async () => {
    h = await createHarness(testConfig({ webhook, auth: { resetTokenDelivery: 'webhook' } }));
    const rejections: Rejection[] = [];
    const sent: string[] = [];
    const transport = {
      send({ id, body }: WebhookDelivery) {
        if (body.includes('refused@x.io')) return Promise.reject(new RejectedDelivery('the SMTP server refused the message (550)', 550));
        sent.push(id);
        return Promise.resolve();
      },
    };
    const relay = createOutboxRelay({ store: h.store, clock: h.clock, transport, key: outboxSealingKey(webhook.secret), onRejected: (each) => rejections.push(each) });
    await h.auth.requestPasswordReset('refused@x.io', client);
    await h.auth.requestPasswordReset('fine@x.io', client);
    expect(await relay.deliverDue()).toEqual({ delivered: 1, failed: 0, unreadable: 0, overdue: 0 });
    expect(rejections).toEqual([{ id: anyString, type: 'password_reset.unknown_email', replyCode: 550, reason: 'the SMTP server refused the message (550)' }]);
    h.clock.advanceSeconds(3600);
    expect(await relay.deliverDue()).toEqual({ delivered: 0, failed: 0, unreadable: 0, overdue: 0 });
    expect(await h.store.claimMessages(h.clock.now(), h.clock.now(), 10)).toEqual([]);
  });

  it('has at most `batch` deliveries in flight', async () => {
    h = await createHarness(testConfig({ webhook, auth: { resetTokenDelivery: 'webhook' } }));
    let inFlight = 0;
    let most = 0;
    const transport = {
      async send() {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
      },
    };
    for (let index = 0; index < 7; index += 1) await h.auth.requestPasswordReset(`u${index}@x.io`, client);
    const relay = createOutboxRelay({ store: h.store, clock: h.clock, transport, key: outboxSealingKey(webhook.secret), batch: 3 });
    expect(await relay.deliverDue()).toEqual({ delivered: 7, failed: 0, unreadable: 0, overdue: 0 });
    expect(most).toBe(3);
  });
});

describe('reset tokens by email', () => {
  it('go into the outbox as webhook ones do, sealed under the key-encryption key', async () => {
    const encryptionKey = Buffer.alloc(32, 9);
    const config = testConfig({ auth: { resetTokenDelivery: 'email' }, keys: { encryptionKey } });
    h = await createHarness({ ...config, email: loadConfig({ env: { SESAME_SMTP_URL: 'smtp://127.0.0.1:2525', SESAME_EMAIL_FROM: 'a@x.io' } }).config.email });
    await h.auth.register('a@x.io', 'pw', client);
    expect(await h.auth.requestPasswordReset('a@x.io', client)).toEqual({ resetToken: null });
    expect(await h.auth.requestPasswordReset('nobody@x.io', client)).toEqual({ resetToken: null });
    const { sent, transport } = capture();
    expect(await createOutboxRelay({ store: h.store, clock: h.clock, transport, key: emailSealingKey(null) }).deliverDue()).toMatchObject({ unreadable: 2 });
    h.clock.advanceSeconds(1);
    expect(await createOutboxRelay({ store: h.store, clock: h.clock, transport, key: emailSealingKey(encryptionKey) }).deliverDue()).toMatchObject({ delivered: 2 });
    expect(sent.map((each) => each.body.type).sort()).toEqual(['password_reset.requested', 'password_reset.unknown_email']);
  });
});
