import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProblems, TEST_SECRETS } from '../../test/support/test-config.js';
import { loadConfig } from '../config.js';

const EMAIL = {
  SESAME_RESET_TOKEN_DELIVERY: 'email',
  SESAME_SMTP_URL: 'smtp://mailer:s3cr3t-pa55@smtp.example.com',
  SESAME_EMAIL_FROM: 'Sesame <sesame@example.com>',
  SESAME_RESET_URL: 'https://app.example.com/reset?token={token}&email={email}',
};
const STRICT = {
  SESAME_PROFILE: 'strict',
  SESAME_INTROSPECTION_TOKEN: TEST_SECRETS.SESAME_INTROSPECTION_TOKEN,
  SESAME_KEY_ENCRYPTION_KEY: TEST_SECRETS.SESAME_KEY_ENCRYPTION_KEY,
};

describe('the email settings', () => {
  it('reads an SMTP server with credentials in the URL, STARTTLS required away from this machine', () => {
    const { email } = loadConfig({ env: EMAIL }).config;
    expect(email?.smtp).toEqual({ host: 'smtp.example.com', port: 587, secure: false, requireTls: true, user: 'mailer', password: 's3cr3t-pa55', ca: null, maxConnections: 5 });
    expect(email?.from).toBe('Sesame <sesame@example.com>');
    expect(email?.unknownAddressNotice).toBe(false);
    expect(email?.templates['password-reset'].subject).toBe('Reset your password');
  });

  it('takes credentials from their own settings, port 465 for smtps, and plaintext on this machine or when allowed', () => {
    const apart = loadConfig({ env: { ...EMAIL, SESAME_SMTP_URL: 'smtps://smtp.example.com', SESAME_SMTP_USER: 'u', SESAME_SMTP_PASSWORD: 'p' } }).config.email!.smtp;
    expect(apart).toMatchObject({ port: 465, secure: true, requireTls: false, user: 'u', password: 'p' });
    expect(loadConfig({ env: { ...EMAIL, SESAME_SMTP_URL: 'smtp://127.0.0.1:2525' } }).config.email!.smtp).toMatchObject({ port: 2525, requireTls: false, user: null });
    expect(loadConfig({ env: { ...EMAIL, SESAME_SMTP_ALLOW_PLAINTEXT: 'true' } }).config.email!.smtp.requireTls).toBe(false);
  });

  it('is accepted by the strict profile, as webhook delivery is', () => {
    expect(loadConfig({ env: { ...STRICT, ...EMAIL } }).config.auth.resetTokenDelivery).toBe('email');
  });

  it('lists every missing or unsafe email setting at once, never echoing a secret', () => {
    expect(configProblems({ ...STRICT, SESAME_RESET_TOKEN_DELIVERY: 'email' })).toEqual(['SESAME_RESET_TOKEN_DELIVERY: email needs SESAME_SMTP_URL and SESAME_EMAIL_FROM and SESAME_RESET_URL']);
    const problems = configProblems({
      ...STRICT,
      ...EMAIL,
      SESAME_SMTP_URL: 'smtp://mailer:s3cr3t-pa55@smtp.example.com/path',
      SESAME_EMAIL_FROM: 'sesame@example.com\r\nBcc: victim@example.com',
      SESAME_RESET_URL: 'http://app.example.com/reset?token={token}',
      SESAME_SMTP_CA_FILE: '/nonexistent/ca.pem',
    });
    expect(problems).toEqual([
      'SESAME_EMAIL_FROM: must be an address such as sesame@example.com or "Sesame <sesame@example.com>" (got "sesame@example.com\\r\\nBcc: victim@example.com")',
      'SESAME_SMTP_URL: must be smtp://[user:password@]host[:port] or smtps://… (value hidden)',
      'SESAME_RESET_URL: must be an http(s) URL without a user name or password, with {token} in it (and {email} if you like), and https unless its host is this machine (strict profile) (value hidden)',
    ]);
    expect(problems.join('\n')).not.toContain('s3cr3t');
    expect(configProblems({ ...EMAIL, SESAME_SMTP_URL: 'imap://smtp.example.com' })).toEqual(['SESAME_SMTP_URL: must be an smtp:// or smtps:// URL (value hidden)']);
    expect(configProblems({ ...EMAIL, SESAME_RESET_URL: 'https://app.example.com/reset' })[0]).toMatch(/^SESAME_RESET_URL: must be .* with \{token\} in it/);
  });

  it('refuses credentials given twice or half, a missing CA file, and both outbox destinations', () => {
    expect(configProblems({ ...EMAIL, SESAME_SMTP_USER: 'other' })).toEqual([
      'SESAME_SMTP_USER: give the credentials in SESAME_SMTP_URL or in SESAME_SMTP_USER and SESAME_SMTP_PASSWORD, not both',
    ]);
    expect(configProblems({ ...EMAIL, SESAME_SMTP_URL: 'smtp://smtp.example.com', SESAME_SMTP_USER: 'u' })).toEqual([
      'SESAME_SMTP_USER: a user name and a password go together (SESAME_SMTP_PASSWORD, or user:password@ in SESAME_SMTP_URL)',
    ]);
    expect(configProblems({ ...EMAIL, SESAME_SMTP_CA_FILE: '/nonexistent/ca.pem' })).toEqual(['SESAME_SMTP_CA_FILE: no such file: /nonexistent/ca.pem']);
    expect(
      configProblems({ ...EMAIL, SESAME_RESET_WEBHOOK_URL: 'https://hooks.example.com/sesame', SESAME_WEBHOOK_SECRET: TEST_SECRETS.SESAME_WEBHOOK_SECRET }),
    ).toEqual(['SESAME_SMTP_URL: set it or SESAME_RESET_WEBHOOK_URL, not both (the outbox has one destination)']);
  });

  it('allows notices alone (response delivery), which still need a sender but no reset link', () => {
    const { config } = loadConfig({ env: { SESAME_SMTP_URL: 'smtp://127.0.0.1:2525', SESAME_EMAIL_FROM: 'sesame@example.com' } });
    expect(config.auth.resetTokenDelivery).toBe('response');
    expect(config.email?.resetUrl).toBeNull();
    expect(configProblems({ SESAME_SMTP_URL: 'smtp://127.0.0.1:2525' })).toEqual(['SESAME_EMAIL_FROM: required with SESAME_SMTP_URL']);
  });

  it('overrides templates from a directory, refusing a variable the message does not have', () => {
    const directory = mkdtempSync(join(tmpdir(), 'sesame-templates-'));
    writeFileSync(join(directory, 'password-reset.subject.txt'), 'Reset for {{email}}\n');
    const { email } = loadConfig({ env: { ...EMAIL, SESAME_EMAIL_TEMPLATES: directory } }).config;
    expect(email?.templates['password-reset'].subject).toBe('Reset for {{email}}');
    expect(email?.templates['password-changed'].subject).toBe('Your password was changed');
    writeFileSync(join(directory, 'password-changed.html'), '<p>{{link}}</p>');
    expect(configProblems({ ...EMAIL, SESAME_EMAIL_TEMPLATES: directory })).toEqual([
      `SESAME_EMAIL_TEMPLATES: ${join(directory, 'password-changed.html')} names {{link}}; password-changed has {{email}}, {{time}}, {{reason}}`,
    ]);
    expect(configProblems({ ...EMAIL, SESAME_EMAIL_TEMPLATES: '/nonexistent/templates' })).toEqual(['SESAME_EMAIL_TEMPLATES: no such directory: /nonexistent/templates']);
  });
});
