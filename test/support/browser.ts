import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it): playwright-core downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where the browser tests leave their screenshots: git-ignored, kept after the run for a person to look at. */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

// This machine has no internet: nothing in the background may try to reach it, and no GPU.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh context (its own cookies): a second browser, as far as Sesame can tell. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Chromium, headless. `launch` gives each browser a fresh profile folder of its own (a new
 * --user-data-dir in the temporary folder, removed on close): no state leaks between runs.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  return { browser, newContext: (options) => browser.newContext(options), close: () => browser.close() };
}

/**
 * Every Content-Security-Policy violation a page reports on its console (Chromium says
 * "Refused to …" and names the policy), and every script error, for a test to expect none.
 */
export function watchForViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/content security policy|refused to/i.test(message.text())) seen.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => seen.push(`${page.url()}: ${error.message}`));
  return seen;
}

/** Saves a screenshot of the whole page as test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
