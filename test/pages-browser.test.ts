import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, watchForViolations, type TestBrowser } from './support/browser.js';
import { MAIN_JS, startServer, type ServerProcess } from './support/server-process.js';
import { freePort, SmtpSink } from './support/smtp-sink.js';
import { tempDatabasePath } from './support/test-config.js';

/**
 * The pages in a real browser (issue 25): Debian's Chromium driven by playwright-core, against
 * a built Sesame listening on a port, sending its reset emails to a real SMTP server process.
 * Screenshots of each page go to test-output/screenshots/ (git-ignored).
 */
const PASSWORD = 'correct horse battery staple';
// A front end on another origin that a log-in may return to; Chromium reaches it through a route of the test's own.
const TRUSTED_APP = 'https://app.example.test';
let sesame: ServerProcess;
let sink: SmtpSink;
let chromium: TestBrowser;
let browser: Browser;
const violations: string[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  const port = await freePort();
  [sink, chromium] = await Promise.all([SmtpSink.start(), launchBrowser()]);
  browser = chromium.browser;
  sesame = await startServer({
    database: `sqlite:${tempDatabasePath()}`,
    command: [process.execPath, MAIN_JS, 'serve', '--port', String(port)],
    env: {
      ...sink.env(),
      SESAME_UI: 'true',
      SESAME_TRUSTED_ORIGINS: TRUSTED_APP,
      SESAME_PUBLIC_URL: `http://127.0.0.1:${port}`,
      SESAME_RESET_TOKEN_DELIVERY: 'email',
      // Two browsers of one user keep two sessions (compat would replace the first).
      SESAME_SINGLE_COOKIE_SESSION: 'false',
      SESAME_ARGON2_MEMORY_KIB: '1024',
      SESAME_ARGON2_ITERATIONS: '1',
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  await Promise.all([chromium?.close(), sesame?.stop(), sink?.stop()]);
  // Read from every page of every test: the CSP let everything the pages need through.
  expect(violations).toEqual([]);
});

/** A page in a fresh context (a browser of its own, as far as Sesame can tell), watched for CSP violations. */
async function openPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const context = await browser.newContext({ baseURL: sesame.url, ...options });
  contexts.push(context);
  const page = await context.newPage();
  const seen = watchForViolations(page);
  page.on('close', () => violations.push(...seen));
  context.on('close', () => violations.push(...seen.splice(0)));
  return page;
}

async function signUp(page: Page, email: string): Promise<void> {
  await page.goto('/ui/signup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/ui/login?notice=registered');
}

async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/ui/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/ui/account');
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
  // Without JavaScript the pages look the same: one screenshot shows it, the rest would only cost time.
  const shot = (page: Page, name: string) => (javaScriptEnabled ? screenshot(page, name) : name === 'log-in-error' ? screenshot(page, `${name}-no-js`) : undefined);

  describe(`the pages in Chromium, ${mode}`, () => {
    it('sign up, log in, see the account, change the password, end a second session and log out', async () => {
      const email = `flow-${javaScriptEnabled}@example.com`;
      const page = await openPage({ javaScriptEnabled });
      await page.goto('/ui/signup');
      await shot(page, 'sign-up');
      await signUp(page, email);
      await expect.poll(() => page.getByRole('status').textContent()).toContain('Your account is ready');
      await shot(page, 'log-in-after-sign-up');

      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong email or password.');
      expect(await page.getByLabel('Email').getAttribute('aria-describedby')).toBe('form-error');
      // The field in error took the focus on load, with or without script (autofocus).
      expect(await page.locator(':focus').getAttribute('id')).toBe('field-email');
      await shot(page, 'log-in-error');

      await logIn(page, email);
      await expect.poll(() => page.getByText(`Signed in as ${email}`).count()).toBe(1);
      await shot(page, 'account');

      const second = await openPage({ javaScriptEnabled, userAgent: 'Second browser' });
      await logIn(second, email);
      await page.reload();
      expect(await page.locator('.sessions li').count()).toBe(2);
      await shot(page, 'account-two-sessions');
      // Its accessible name says whose session it ends: the browser's computation, not the markup's.
      await page.getByRole('button', { name: 'End this session Second browser', exact: true }).click();
      await page.waitForURL('**/ui/account?notice=session_ended');
      expect(await page.locator('.sessions li').count()).toBe(1);
      await second.goto('/ui/account');
      expect(new URL(second.url()).pathname).toBe('/ui/login');

      await page.getByLabel('Current password').fill(PASSWORD);
      await page.getByLabel('New password').fill(`${PASSWORD} again`);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.waitForURL('**/ui/account?notice=password_changed');
      await shot(page, 'account-password-changed');

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL('**/ui/login?notice=logged_out');
      expect((await page.context().cookies()).map((cookie) => cookie.name)).not.toContain('session_id');
      await logIn(page, email, `${PASSWORD} again`);
    });

    it('reset a forgotten password from the link a real SMTP server received', async () => {
      const email = `reset-${javaScriptEnabled}@example.com`;
      const page = await openPage({ javaScriptEnabled });
      await signUp(page, email);
      const before = sink.count();
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await shot(page, 'forgot-password');
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.waitForURL('**/ui/forgot-password?notice=reset_sent');
      await shot(page, 'forgot-password-sent');

      const received = (await sink.waitFor(before + 1)).at(-1)!;
      const link = /http:\/\/127\.0\.0\.1:\d+\/ui\/reset-password\?\S+/.exec(received.mail.text ?? '')?.[0];
      expect(link).toBeDefined();
      const referers: Array<string | undefined> = [];
      page.on('request', (request) => referers.push(request.headers().referer));
      await page.goto(link!);
      // The token left the address bar (and the history) on arrival.
      expect(page.url()).toBe(`${sesame.url}/ui/reset-password`);
      expect(await page.getByLabel('Email').inputValue()).toBe(email);
      await shot(page, 'reset-password');
      await page.getByLabel('New password').fill('a brand new pass phrase');
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await page.waitForURL('**/ui/login?notice=password_reset');
      // Referrer-Policy: no-referrer: no request of the page names the page it came from.
      expect(referers.filter(Boolean)).toEqual([]);
      await shot(page, 'log-in-after-reset');
      await logIn(page, email, 'a brand new pass phrase');
      // A used link opens the page again, which now refuses it.
      await page.goto(link!);
      await page.getByLabel('New password').fill('yet another pass phrase');
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('This reset link is invalid, used or expired');
    });
  });
}

describe('a log-in told to return to a trusted origin', () => {
  it('ends there, with the session cookie set', async () => {
    const email = 'return@example.com';
    const page = await openPage();
    await page.route(`${TRUSTED_APP}/**`, (route) => route.fulfill({ contentType: 'text/plain', body: 'the trusted app' }));
    await signUp(page, email);
    await page.goto(`/ui/login?return_to=${encodeURIComponent(`${TRUSTED_APP}/after?x=1`)}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${TRUSTED_APP}/after?x=1`);
    expect(await page.textContent('body')).toBe('the trusted app');
    expect((await page.context().cookies(sesame.url)).map((cookie) => cookie.name)).toContain('session_id');
  });
});

describe('the log-in page from the keyboard alone', () => {
  it('takes the focus in reading order and submits with Enter', async () => {
    const email = 'keys@example.com';
    const page = await openPage();
    await signUp(page, email);
    await page.goto('/ui/login');
    const order: string[] = [];
    for (let press = 0; press < 9; press += 1) {
      await page.keyboard.press('Tab');
      const focused = page.locator(':focus');
      order.push((await focused.getAttribute('id')) ?? (await focused.textContent())?.trim() ?? '');
    }
    expect(order).toEqual(['Skip to content', 'Sesame', 'Log in', 'Sign up', 'field-email', 'field-password', 'Log in', 'Forgot your password?', 'No account yet? Sign up']);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await page.locator(':focus').getAttribute('id')).toBe('field-email');
    await screenshot(page, 'log-in-keyboard-focus');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/ui/account');
  });

  it('offers a skip link first, shown when focused, that takes the focus past the header', async () => {
    const page = await openPage();
    await page.goto('/ui/login');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to content');
    expect((await skip.boundingBox())!.x).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').getAttribute('id')).toBe('field-email');
  });

  it('loads the page and its stylesheet, and nothing else, not even a favicon', async () => {
    const page = await openPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.goto('/ui/login', { waitUntil: 'networkidle' });
    expect(requested).toEqual(['/ui/login', expect.stringMatching(/^\/ui\/style\.[\w-]+\.css$/)]);
  });

  it('fits a phone and follows a dark colour scheme', async () => {
    const phone = await openPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await phone.goto('/ui/login');
    // Evaluated in the page, as text: this project's TypeScript knows no DOM.
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await phone.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor')).toBe('rgb(19, 20, 22)');
    await screenshot(phone, 'log-in-phone-dark');
  });
});
