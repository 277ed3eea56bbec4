import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';
import type { EmailConfig } from '../config/read-email-settings.js';
import { RejectedDelivery, type WebhookDelivery, type WebhookEvent, type WebhookTransport } from '../core/outbox.js';
import { renderEmail, type MessageName } from './email-templates.js';

// Each step of an SMTP conversation that takes longer than these fails the attempt (retried),
// so that a round of deliveries ends well within the outbox lease (30 s).
const CONNECTION_TIMEOUT_MS = 5000;
const GREETING_TIMEOUT_MS = 5000;
const SOCKET_TIMEOUT_MS = 15_000;
// A pooled connection is replaced after this many messages, as many servers ask.
const MESSAGES_PER_CONNECTION = 100;

/** What an SMTP server said to one message. */
export interface SmtpOutcome {
  /** The server's final reply, such as `250 2.0.0 OK: queued`. */
  readonly response: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
}

/** A message for one address: which template, filled with what. */
interface Letter {
  readonly to: string;
  readonly name: MessageName;
  readonly values: Readonly<Record<string, string>>;
}

interface Payload {
  readonly type: WebhookEvent['type'];
  readonly timestamp: string;
  readonly data: Readonly<Record<string, string>>;
}

/**
 * Sends the outbox's messages as email through a pool of SMTP connections (nodemailer): a
 * bounded number of them, each step under a timeout. A 5xx reply to the message is final
 * (`RejectedDelivery`); anything else (4xx, no connection, a timeout, a refused log-in, which
 * an operator fixes) is an error the outbox retries. Links and credentials never reach a log:
 * a failure is logged with the SMTP reply code and nodemailer's error code only.
 */
export class SmtpEmail implements WebhookTransport {
  readonly #config: EmailConfig;
  readonly #logger: Logger;
  readonly #transporter;

  constructor(config: EmailConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    const { smtp } = config;
    this.#transporter = createTransport({
      pool: true,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: smtp.requireTls,
      auth: smtp.user !== null && smtp.password !== null ? { user: smtp.user, pass: smtp.password } : undefined,
      tls: { minVersion: 'TLSv1.2', ...(smtp.ca !== null ? { ca: smtp.ca } : {}) },
      maxConnections: smtp.maxConnections,
      maxMessages: MESSAGES_PER_CONNECTION,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: GREETING_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      // nodemailer's own logger would write addresses and the conversation.
      logger: false,
      debug: false,
    });
  }

  async send({ id, body }: WebhookDelivery): Promise<void> {
    const letter = this.#letterFor(JSON.parse(body) as Payload);
    // An address without an account is whatever someone typed: nothing to send to, rather than an error to log.
    if (letter === null || (letter.name === 'unknown-address' && !isMailbox(letter.to))) return;
    try {
      await this.sendLetter(letter, id);
    } catch (error) {
      if (!(error instanceof RejectedDelivery)) this.#logger.warn({ messageId: id, ...smtpCodes(error) }, 'email delivery failed; it is retried with backoff');
      throw error;
    }
  }

  /** Sends one message (`sesame email test` sends one of its own); throws `RejectedDelivery` on a 5xx, another error otherwise. */
  async sendLetter({ to, name, values }: Letter, id: string): Promise<SmtpOutcome> {
    // A registered email has no control character, but this is the last place a CR/LF could
    // start a header, and a list or a display name would send a reset link to someone else.
    if (!isMailbox(to)) throw new RejectedDelivery('the address is not a single mailbox (a list, a display name or a control character)', null);
    const rendered = renderEmail(this.#config.templates[name], values);
    try {
      const info = await this.#transporter.sendMail({
        from: this.#config.from,
        to: { name: '', address: to },
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        headers: { 'X-Sesame-Message-Id': id },
      });
      return { response: info.response, accepted: info.accepted.map(String), rejected: info.rejected.map(String) };
    } catch (error) {
      const { replyCode, code } = smtpCodes(error);
      // 503 says the conversation went wrong, not that the message was refused; a refused log-in is for the operator to fix.
      if (replyCode !== null && replyCode >= 500 && replyCode < 600 && replyCode !== 503 && code !== 'EAUTH') {
        throw new RejectedDelivery(`the SMTP server refused the message (${replyCode})`, replyCode, { cause: error });
      }
      throw error;
    }
  }

  /** Closes the pool's connections. */
  close(): void {
    this.#transporter.close();
  }

  /** The message an outbox event becomes, or null for none (a deletion; an unknown address unless notices are on). */
  #letterFor({ type, timestamp, data }: Payload): Letter | null {
    // Stored as given: the account's key, and so its mailbox, is the trimmed address.
    const email = (data.email ?? '').trim();
    switch (type) {
      case 'password_reset.requested': {
        const expiresAt = data.expires_at ?? timestamp;
        const minutes = Math.max(1, Math.round((Date.parse(expiresAt) - Date.parse(timestamp)) / 60_000));
        // The outbox holds an `email` message only when SESAME_RESET_URL is set; configuration checks it.
        const link = resetLink(this.#config.resetUrl ?? '', data.reset_token ?? '', email);
        return { to: email, name: 'password-reset', values: { email, link, expires_at: expiresAt, expires_in_minutes: String(minutes) } };
      }
      case 'password.changed':
        return { to: email, name: 'password-changed', values: { email, time: timestamp, reason: REASONS[data.reason ?? ''] ?? 'changed' } };
      case 'password_reset.unknown_email':
        return this.#config.unknownAddressNotice ? { to: email, name: 'unknown-address', values: { email } } : null;
      case 'user.deleted':
        return null;
    }
  }
}

const REASONS: Readonly<Record<string, string>> = {
  change: 'changed by the account holder',
  reset: 'reset with a link sent by email',
  operator: 'set by an administrator',
};

/** The reset link: the template with the token and the email URL-encoded into their places (never the request's Host). */
export function resetLink(template: string, token: string, email: string): string {
  return template.replaceAll('{token}', encodeURIComponent(token)).replaceAll('{email}', encodeURIComponent(email));
}

// One addr-spec: a dot-atom local part (RFC 5322 atext, and UTF-8 as RFC 6531 allows) and a host name.
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\u0080-\\uffff-]+";
const MAILBOX = new RegExp(`^${ATEXT}(\\.${ATEXT})*@[\\p{L}\\p{N}-]+(\\.[\\p{L}\\p{N}-]+)+$`, 'u');

/** True for one mailbox address Sesame may send to. */
export function isMailbox(address: string): boolean {
  return address.length <= 320 && MAILBOX.test(address);
}

/** The SMTP reply code and nodemailer's error code of a failure, the only details of it that are logged. */
export function smtpCodes(error: unknown): { replyCode: number | null; code: string | null } {
  const { responseCode, code } = (error ?? {}) as { responseCode?: unknown; code?: unknown };
  return { replyCode: typeof responseCode === 'number' ? responseCode : null, code: typeof code === 'string' ? code : null };
}
