import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProblems, TEST_SECRETS } from '../../test/support/test-config.js';
import { loadConfig } from '../config.js';
import { MESSAGES } from '../ui/messages.js';

const folder = mkdtempSync(join(tmpdir(), 'sesame-ui-settings-'));
const file = (name: string, text: string): string => {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
};
const EMAIL = {
  SESAME_RESET_TOKEN_DELIVERY: 'email',
  SESAME_SMTP_URL: 'smtp://mailer:s3cr3t-pa55@smtp.example.com',
  SESAME_EMAIL_FROM: 'Sesame <sesame@example.com>',
};

describe('the pages settings', () => {
  it('are on in compat unless SESAME_UI=false, and off in strict unless SESAME_UI=true', () => {
    expect(loadConfig({ env: {} }).config.http.ui?.passwordMinLength).toBe(1);
    expect(loadConfig({ env: { SESAME_UI: 'false' } }).config.http.ui).toBeNull();
    const strict = { SESAME_PROFILE: 'strict', SESAME_RESET_TOKEN_DELIVERY: 'response', SESAME_INTROSPECTION_TOKEN: TEST_SECRETS.SESAME_INTROSPECTION_TOKEN, SESAME_KEY_ENCRYPTION_KEY: TEST_SECRETS.SESAME_KEY_ENCRYPTION_KEY };
    expect(loadConfig({ env: strict }).config.http.ui).toBeNull();
    expect(loadConfig({ env: { ...strict, SESAME_UI: 'true' } }).config.http.ui?.passwordMinLength).toBe(15);
  });

  it("take a deployer's messages and stylesheet, and offer no reset pages when the token would be answered", () => {
    const ui = loadConfig({
      env: { SESAME_UI: 'true', SESAME_UI_MESSAGES: file('fr.json', '{"log_in.title": "Connexion"}'), SESAME_UI_STYLESHEET: file('s.css', 'body{color:red}') },
    }).config.http.ui!;
    expect(ui.messages['log_in.title']).toBe('Connexion');
    expect(ui.messages['sign_up.title']).toBe(MESSAGES['sign_up.title']);
    expect(ui.stylesheet).toBe('body{color:red}');
    expect(ui.hasPasswordReset).toBe(false);
  });

  it('list every problem of the files and the public URL at once', () => {
    expect(
      configProblems({
        SESAME_UI: 'true',
        SESAME_UI_MESSAGES: file('bad.json', '{"log_in.titel": "x"}'),
        SESAME_UI_STYLESHEET: join(folder, 'missing.css'),
        SESAME_PUBLIC_URL: 'https://auth.example.com/?x=1',
      }),
    ).toEqual([
      'SESAME_PUBLIC_URL: must be an http(s) URL with no user name, password, query or fragment, such as https://auth.example.com',
      'SESAME_UI_MESSAGES: unknown message key "log_in.titel"',
      `SESAME_UI_STYLESHEET: no such file: ${join(folder, 'missing.css')}`,
    ]);
    expect(configProblems({ SESAME_UI: 'true', SESAME_UI_MESSAGES: file('broken.json', '{') })).toEqual([
      `SESAME_UI_MESSAGES: ${join(folder, 'broken.json')} could not be read as JSON`,
    ]);
  });

  it("email a link to the pages' reset page when no SESAME_RESET_URL is set", () => {
    const { email, http } = loadConfig({ env: { ...EMAIL, SESAME_UI: 'true', SESAME_PUBLIC_URL: 'https://auth.example.com/sesame/' } }).config;
    expect(email?.resetUrl).toBe('https://auth.example.com/sesame/ui/reset-password?token={token}&email={email}');
    expect(http.ui?.hasPasswordReset).toBe(true);
    expect(configProblems({ ...EMAIL, SESAME_UI: 'true' })).toEqual([
      "SESAME_RESET_TOKEN_DELIVERY: email needs SESAME_RESET_URL (or SESAME_PUBLIC_URL, for the pages' reset page)",
    ]);
  });
});
