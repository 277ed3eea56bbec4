import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, watchForViolations, type TestBrowser } from './support/browser.js';
import { createAppHarness, type AppHarness } from './support/harness.js';
import { TEST_SECRETS, testConfig, testUiConfig } from './support/test-config.js';

/**
 * The admin console in a real browser (issue 25): Debian's Chromium driven by playwright-core
 * against Sesame listening on a port in this process (its core at hand to set users up and to
 * check what the console did), with JavaScript on and off. Screenshots of each page go to
 * test-output/screenshots/admin-*.png (git-ignored).
 */
const OPERATOR = { email: 'ops@example.com', password: 'operator passphrase' };
const CLI = { door: 'cli', address: 'cli' } as const;
let h: AppHarness;
let url: string;
let chromium: TestBrowser;
const contexts: BrowserContext[] = [];
const violations: string[] = [];

beforeAll(async () => {
  const config = testConfig({ http: { admin: { listener: 'main', hasToken: true }, ui: testUiConfig() }, auth: { adminToken: TEST_SECRETS.SESAME_ADMIN_TOKEN } });
  [h, chromium] = await Promise.all([createAppHarness(config), launchBrowser()]);
  url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const operator = await h.auth.createUser(OPERATOR.email, OPERATOR.password, CLI);
  await h.auth.updateUser({ id: operator.id }, { claims: { admin: true } }, CLI);
  for (let index = 0; index < 25; index += 1) {
    h.clock.advanceSeconds(1);
    await h.auth.createUser(`member${String(index).padStart(2, '0')}@example.com`, 'member passphrase', CLI);
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  await chromium?.close();
  await h?.close();
  // Read from every page of both runs: the CSP let everything the console needs through.
  expect(violations).toEqual([]);
});

async function openPage(javaScriptEnabled: boolean): Promise<Page> {
  const context = await chromium.newContext({ baseURL: url, javaScriptEnabled });
  contexts.push(context);
  const page = await context.newPage();
  const seen = watchForViolations(page);
  // Chromium asks for /favicon.ico on its own (a 404 console error); only CSP refusals and script errors count.
  context.on('close', () => violations.push(...seen.splice(0).filter((line) => /content security policy|refused to|^pageerror/i.test(line))));
  return page;
}

const listed = (page: Page) => page.locator('#users .what a').allTextContents();

describe.each([
  { javaScript: true, suffix: '' },
  { javaScript: false, suffix: '-no-js' },
])('the admin console in Chromium (JavaScript $javaScript)', ({ javaScript, suffix }) => {
  let page: Page;
  const target = `target${suffix}@example.com`;

  beforeAll(async () => {
    await h.auth.createUser(target, 'target passphrase', CLI);
    page = await openPage(javaScript);
  });

  it('signs the operator in', async () => {
    await page.goto('/ui/admin/');
    expect(new URL(page.url()).pathname).toBe('/ui/admin/login');
    await screenshot(page, `admin-login${suffix}`);
    await page.getByLabel('Email').fill(OPERATOR.email);
    await page.getByLabel('Password').fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Sign in to the console' }).click();
    await page.waitForURL('**/ui/admin/users');
    await expect(page.getByText(`Operator: ${OPERATOR.email}`).count()).resolves.toBe(1);
    // The console's cookie is out of any script's reach.
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'sesame_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui/admin' });
    if (javaScript) await expect(page.evaluate<string>('document.cookie')).resolves.not.toContain('sesame_console');
    await screenshot(page, `admin-users${suffix}`);
  });

  it('pages through the users and back', async () => {
    const first = await listed(page);
    expect(first).toHaveLength(20);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=/);
    const second = await listed(page);
    expect(second.length).toBeGreaterThan(0);
    expect(second).not.toContain(first[0]);
    await screenshot(page, `admin-users-page-2${suffix}`);
    await page.getByRole('link', { name: 'Previous page' }).click();
    await page.waitForURL((next) => !next.search.includes('cursor='));
    expect(await listed(page)).toEqual(first);
  });

  it('searches by the start of an email', async () => {
    await page.getByLabel('Email starts with').fill('member1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=member1/);
    expect(await listed(page)).toEqual(Array.from({ length: 10 }, (_, index) => `member${19 - index}@example.com`));
    await screenshot(page, `admin-search${suffix}`);
  });

  it('disables a user', async () => {
    await page.getByLabel('Email starts with').fill(target);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: target }).click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.waitForURL(/done=disabled/);
    await expect(page.getByRole('status').textContent()).resolves.toContain('The user is disabled');
    expect((await h.auth.getUser({ email: target })).disabled).toBe(true);
    await screenshot(page, `admin-user-disabled${suffix}`);
  });

  it('filters the users by state with a plain GET form', async () => {
    await page.getByRole('link', { name: 'Back to the users' }).click();
    await page.getByLabel('State').selectOption({ label: 'Disabled' });
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/state=disabled/);
    expect(await listed(page)).toEqual([target]);
    await expect(page.getByLabel('State').inputValue()).resolves.toBe('disabled');
    await screenshot(page, `admin-users-disabled${suffix}`);
    await page.getByRole('link', { name: target }).click();
  });

  it('deletes a user after the confirmation page', async () => {
    await page.getByRole('link', { name: 'Delete…' }).click();
    await page.waitForURL(/\/delete$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`Delete ${target}?`);
    await screenshot(page, `admin-delete-confirm${suffix}`);
    await page.getByRole('button', { name: 'Delete the user' }).click();
    await page.waitForURL(/done=deleted/);
    await expect(page.getByRole('status').textContent()).resolves.toContain('The user is deleted.');
    await expect(h.auth.getUser({ email: target })).rejects.toMatchObject({ code: 'user_not_found' });
    await screenshot(page, `admin-deleted${suffix}`);
  });

  it('logs out of the console', async () => {
    await page.getByRole('button', { name: 'Log out of the console' }).click();
    await page.waitForURL(/done=logged_out/);
    await page.goto('/ui/admin/users');
    expect(new URL(page.url()).pathname).toBe('/ui/admin/login');
  });
});
