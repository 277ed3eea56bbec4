import { existsSync, readFileSync } from 'node:fs';
import { loadEmailTemplates, type EmailTemplates } from '../delivery/email-templates.js';
import type { SettingName, Settings } from './settings.js';

/** How to reach the SMTP server. */
export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  /** smtps://: TLS from the first byte. */
  readonly secure: boolean;
  /** smtp:// only: refuse to go on without STARTTLS (false only on this machine or with SESAME_SMTP_ALLOW_PLAINTEXT). */
  readonly requireTls: boolean;
  readonly user: string | null;
  readonly password: string | null;
  /** PEM certificates to trust besides the system's (SESAME_SMTP_CA_FILE). */
  readonly ca: string | null;
  readonly maxConnections: number;
}

/** Sesame's own email: the server, the sender, the reset link and the messages. */
export interface EmailConfig {
  readonly smtp: SmtpConfig;
  readonly from: string;
  /** The reset link, with `{token}` and `{email}` places; null when resets are not sent by email. */
  readonly resetUrl: string | null;
  readonly templates: EmailTemplates;
  /** Whether a reset asked for an address without an account sends that address a notice. */
  readonly unknownAddressNotice: boolean;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Sesame's email settings, or null when no SMTP server is set; adds to `problems` each setting
 * that is missing (email delivery), half set or unsafe, naming no secret value. The reset link
 * is SESAME_RESET_URL, else `pagesResetUrl` (the pages' own reset page, when they are on).
 */
export function readEmailSettings(
  settings: Settings,
  isValid: (name: SettingName) => boolean,
  problems: string[],
  pagesResetUrl: string | null = null,
): EmailConfig | null {
  const isStrict = settings.SESAME_PROFILE === 'strict';
  const before = problems.length;
  if (settings.SESAME_RESET_TOKEN_DELIVERY === 'email') {
    const missing = (['SESAME_SMTP_URL', 'SESAME_EMAIL_FROM', 'SESAME_RESET_URL'] as const).filter(
      (name) => settings[name] === undefined && !(name === 'SESAME_RESET_URL' && pagesResetUrl !== null),
    );
    if (missing.length > 0) {
      const pages = missing.includes('SESAME_RESET_URL') && settings.SESAME_UI ? ' (or SESAME_PUBLIC_URL, for the pages\' reset page)' : '';
      problems.push(`SESAME_RESET_TOKEN_DELIVERY: email needs ${missing.join(' and ')}${pages}`);
    }
  }
  const urlText = settings.SESAME_SMTP_URL;
  // A value the schema refused is reported already.
  if (urlText === undefined || !isValid('SESAME_SMTP_URL')) return null;
  if (settings.SESAME_RESET_WEBHOOK_URL !== undefined) {
    problems.push('SESAME_SMTP_URL: set it or SESAME_RESET_WEBHOOK_URL, not both (the outbox has one destination)');
  }
  if (settings.SESAME_EMAIL_FROM === undefined && settings.SESAME_RESET_TOKEN_DELIVERY !== 'email') {
    problems.push('SESAME_EMAIL_FROM: required with SESAME_SMTP_URL');
  }
  const from = settings.SESAME_EMAIL_FROM;
  if (from !== undefined && !isSender(from)) {
    problems.push(`SESAME_EMAIL_FROM: must be an address such as sesame@example.com or "Sesame <sesame@example.com>" (got ${JSON.stringify(from)})`);
  }
  const smtp = readSmtpUrl(urlText, settings, problems);
  const resetUrl = settings.SESAME_RESET_URL ?? pagesResetUrl;
  if (resetUrl !== null && !isResetUrl(resetUrl, isStrict)) {
    problems.push(
      (settings.SESAME_RESET_URL === undefined ? 'SESAME_PUBLIC_URL: the reset link built from it' : 'SESAME_RESET_URL') + ': must be an http(s) URL without a user name or password, with {token} in it (and {email} if you like)' +
        (isStrict ? ', and https unless its host is this machine (strict profile)' : '') +
        ' (value hidden)',
    );
  }
  const templates = loadEmailTemplates(settings.SESAME_EMAIL_TEMPLATES ?? null, problems);
  if (problems.length > before || smtp === null || from === undefined) return null;
  return { smtp, from, resetUrl, templates, unknownAddressNotice: settings.SESAME_EMAIL_UNKNOWN_ADDRESS_NOTICE };
}

function readSmtpUrl(text: string, settings: Settings, problems: string[]): SmtpConfig | null {
  const url = URL.canParse(text) ? new URL(text) : null;
  if (url === null || url.hostname === '' || !['smtp:', 'smtps:'].includes(url.protocol) || !['', '/'].includes(url.pathname) || url.search !== '') {
    problems.push('SESAME_SMTP_URL: must be smtp://[user:password@]host[:port] or smtps://… (value hidden)');
    return null;
  }
  const inUrl = url.username !== '' || url.password !== '';
  const apart = settings.SESAME_SMTP_USER !== undefined || settings.SESAME_SMTP_PASSWORD !== undefined;
  if (inUrl && apart) {
    problems.push('SESAME_SMTP_USER: give the credentials in SESAME_SMTP_URL or in SESAME_SMTP_USER and SESAME_SMTP_PASSWORD, not both');
    return null;
  }
  const user = inUrl ? decodeURIComponent(url.username) : (settings.SESAME_SMTP_USER ?? null);
  const password = inUrl ? decodeURIComponent(url.password) : (settings.SESAME_SMTP_PASSWORD ?? null);
  if ((user === null || user === '') !== (password === null || password === '')) {
    problems.push('SESAME_SMTP_USER: a user name and a password go together (SESAME_SMTP_PASSWORD, or user:password@ in SESAME_SMTP_URL)');
    return null;
  }
  let ca: string | null = null;
  const caFile = settings.SESAME_SMTP_CA_FILE;
  if (caFile !== undefined) {
    if (!existsSync(caFile)) {
      problems.push(`SESAME_SMTP_CA_FILE: no such file: ${caFile}`);
      return null;
    }
    ca = readFileSync(caFile, 'utf8');
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      problems.push(`SESAME_SMTP_CA_FILE: ${caFile} holds no PEM certificate`);
      return null;
    }
  }
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    // Credentials and reset links cross the network only encrypted, unless the server is this machine or the operator says so.
    requireTls: !secure && !LOOPBACK.includes(url.hostname) && !settings.SESAME_SMTP_ALLOW_PLAINTEXT,
    user: user || null,
    password: password || null,
    ca,
    maxConnections: settings.SESAME_SMTP_MAX_CONNECTIONS,
  };
}

/** `Name <address>` or a bare address, with no control character (it becomes the From header). */
function isSender(text: string): boolean {
  return !/\p{Cc}/u.test(text) && /^([^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(text);
}

/** A link template that parses once its places are filled, over https in strict (but for this machine). */
function isResetUrl(text: string, isStrict: boolean): boolean {
  if (!text.includes('{token}')) return false;
  const filled = text.replaceAll('{token}', 'token').replaceAll('{email}', 'email');
  if (!URL.canParse(filled)) return false;
  const url = new URL(filled);
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (!isStrict || LOOPBACK.includes(url.hostname));
}

