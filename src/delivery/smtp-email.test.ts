import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink, SMTP_USER } from '../../test/support/smtp-sink.js';
import { loadConfig } from '../config.js';
import { RejectedDelivery } from '../core/outbox.js';
import { renderEmail } from './email-templates.js';
import { SmtpEmail } from './smtp-email.js';

const silent = pino({ level: 'silent' });
const RESET_URL = 'https://app.example.test/reset?token={token}&email={email}';

function sender(sink: SmtpSink, extra: Record<string, string> = {}): SmtpEmail {
  const { config } = loadConfig({ env: { ...sink.env(), SESAME_RESET_TOKEN_DELIVERY: 'email', SESAME_RESET_URL: RESET_URL, ...extra } });
  return new SmtpEmail(config.email!, silent);
}

function event(type: string, data: Record<string, string>): { id: string; body: string } {
  const timestamp = '2026-12-06T10:00:00.000Z';
  return { id: `msg-${Math.random().toString(36).slice(2)}`, body: JSON.stringify({ type, timestamp, data }) };
}

const resetEvent = (email: string, token = 'tok-en_123') => event('password_reset.requested', { user_id: 'u1', email, reset_token: token, expires_at: '2026-12-06T11:00:00.000Z' });

describe('SmtpEmail, against a real SMTP server with STARTTLS and AUTH', () => {
  let sink: SmtpSink;
  const open: SmtpEmail[] = [];
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(() => sink.stop());
  afterEach(() => open.splice(0).forEach((each) => each.close()));
  const use = (each: SmtpEmail) => (open.push(each), each);

  it('sends a reset message over STARTTLS, logged in, with the link URL-encoded in both parts and values escaped in the HTML one', async () => {
    const before = sink.count();
    const email = "o'brien&co+x@example.test";
    await use(sender(sink)).send(resetEvent(email, 'a/b+c='));
    const received = (await sink.waitFor(before + 1)).at(-1)!;
    expect(received.secure).toBe(true);
    expect(received.user).toBe(SMTP_USER);
    expect(received.to).toEqual([email]);
    expect(received.mail.subject).toBe('Reset your password');
    expect(received.mail.from?.value).toEqual([{ name: 'Sesame', address: 'sesame@example.test' }]);
    const link = `https://app.example.test/reset?token=a%2Fb%2Bc%3D&email=${encodeURIComponent(email)}`;
    expect(received.mail.text).toContain(link);
    expect(received.mail.text).toContain('within 60 minutes');
    expect(received.mail.text).toContain(email);
    const html = String(received.mail.html);
    expect(html).toContain(`<a href="${link.replaceAll('&', '&amp;').replaceAll("'", '&#39;')}">`);
    expect(html).toContain('o&#39;brien&amp;co+x@example.test');
    expect(html).not.toContain("o'brien&co");
  });

  it('refuses, without sending, an address with CR/LF, a list or a display name: no header or recipient can be injected', async () => {
    const before = sink.count();
    const smtp = use(sender(sink));
    for (const address of ['victim@example.test\r\nBcc: attacker@example.test', 'victim@example.test, attacker@example.test', 'Victim <attacker@example.test>', 'a@b\nc.test']) {
      const attempt = smtp.send(resetEvent(address));
      await expect(attempt).rejects.toBeInstanceOf(RejectedDelivery);
      await expect(attempt).rejects.toMatchObject({ replyCode: null });
    }
    await smtp.send(resetEvent('after@example.test'));
    const received = await sink.waitFor(before + 1);
    expect(received.slice(before).map((each) => each.to)).toEqual([['after@example.test']]);
  });

  it('sends password-changed notices, and an unknown-address notice only when that setting is on; nothing for a deletion', async () => {
    const before = sink.count();
    const off = use(sender(sink));
    await off.send(event('password_reset.unknown_email', { email: 'nobody@example.test' }));
    await off.send(event('user.deleted', { user_id: 'u1', email: 'gone@example.test' }));
    await off.send(event('password.changed', { user_id: 'u1', email: 'owner@example.test', reason: 'reset' }));
    const on = use(sender(sink, { SESAME_EMAIL_UNKNOWN_ADDRESS_NOTICE: 'true' }));
    // Whatever someone typed that is no mailbox is dropped quietly, not refused (nothing to log).
    await on.send(event('password_reset.unknown_email', { email: 'not an address' }));
    await on.send(event('password_reset.unknown_email', { email: 'nobody@example.test' }));
    // An email stored with spaces around it goes to its mailbox.
    await on.send(event('password.changed', { user_id: 'u2', email: ' spaced@example.test ', reason: 'change' }));
    const received = (await sink.waitFor(before + 3)).slice(before);
    expect(received.map((each) => [each.to[0], each.mail.subject])).toEqual([
      ['owner@example.test', 'Your password was changed'],
      ['nobody@example.test', 'Password reset request'],
      ['spaced@example.test', 'Your password was changed'],
    ]);
    expect(received[0]!.mail.text).toContain('reset with a link sent by email');
  });

  it('renders overriding templates from files, escaping in the HTML part only and keeping the subject on one line', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sesame-templates-'));
    writeFileSync(join(directory, 'password-reset.subject.txt'), 'Reset for {{email}}');
    writeFileSync(join(directory, 'password-reset.txt'), 'Go to {{ link }} ({{email}})');
    writeFileSync(join(directory, 'password-reset.html'), '<b>{{email}}</b> <a href="{{link}}">reset</a>');
    const before = sink.count();
    await use(sender(sink, { SESAME_EMAIL_TEMPLATES: directory })).send(resetEvent('a&b@example.test'));
    const { mail } = (await sink.waitFor(before + 1)).at(-1)!;
    expect(mail.subject).toBe('Reset for a&b@example.test');
    expect(mail.text).toBe('Go to https://app.example.test/reset?token=tok-en_123&email=a%26b%40example.test (a&b@example.test)');
    expect(String(mail.html)).toContain('<b>a&amp;b@example.test</b> <a href="https://app.example.test/reset?token=tok-en_123&amp;email=a%26b%40example.test">reset</a>');
    // A value with a line break cannot add a header through the subject.
    expect(renderEmail({ subject: 'Hi {{email}}', text: '', html: '' }, { email: 'x\r\nBcc: y@example.test' }).subject).toBe('Hi x Bcc: y@example.test');
    expect(renderEmail({ subject: '', text: '', html: '{{email}}' }, { email: '<script>"\'&' }).html).toBe('&lt;script&gt;&quot;&#39;&amp;');
  });

  it('keeps at most SESAME_SMTP_MAX_CONNECTIONS connections open however many messages are waiting', async () => {
    const slow = await SmtpSink.start({ delayMs: 100 });
    try {
      const smtp = use(sender(slow, { SESAME_SMTP_MAX_CONNECTIONS: '2' }));
      await Promise.all(Array.from({ length: 12 }, (_, index) => smtp.send(resetEvent(`user${index}@example.test`))));
      expect(slow.count()).toBe(12);
      expect(slow.maxConnections).toBe(2);
    } finally {
      await slow.stop();
    }
  });
});

describe('SmtpEmail, refused by the server', () => {
  it('gives up on a 5xx (RejectedDelivery with the reply code) and lets the outbox retry a 4xx', async () => {
    const refusing = await SmtpSink.start({ reject5xx: true });
    const busy = await SmtpSink.start({ fail4xx: 1 });
    const senders = [sender(refusing), sender(busy)];
    try {
      const rejected = senders[0]!.send(resetEvent('user@example.test'));
      await expect(rejected).rejects.toBeInstanceOf(RejectedDelivery);
      await expect(rejected).rejects.toMatchObject({ replyCode: 550 });
      const deferred = senders[1]!.send(resetEvent('user@example.test'));
      await expect(deferred).rejects.toMatchObject({ responseCode: 451 });
      await expect(deferred).rejects.not.toBeInstanceOf(RejectedDelivery);
      await senders[1]!.send(resetEvent('user@example.test'));
      expect(busy.count()).toBe(1);
      expect([refusing.refusals, busy.refusals]).toEqual([[550], [451]]);
    } finally {
      senders.forEach((each) => each.close());
      await Promise.all([refusing.stop(), busy.stop()]);
    }
  });

  it('retries (never gives up on) a wrong password: 535 is for the operator to fix', async () => {
    const sink = await SmtpSink.start();
    const smtp = sender(sink, { SESAME_SMTP_URL: `smtp://${SMTP_USER}:wrong@127.0.0.1:${sink.port}` });
    try {
      const attempt = smtp.send(resetEvent('user@example.test'));
      await expect(attempt).rejects.toMatchObject({ responseCode: 535, code: 'EAUTH' });
      await expect(attempt).rejects.not.toBeInstanceOf(RejectedDelivery);
    } finally {
      smtp.close();
      await sink.stop();
    }
  });
});
