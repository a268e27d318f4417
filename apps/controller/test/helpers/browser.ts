/** Headless Chromium (system package) for the UI end-to-end tests, plus polling and screenshot helpers. */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const noChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} missing (apt-get install chromium)`;
/** dist/test-artifacts/controller under the repo root: screenshots to look at after a run. */
export const ARTIFACTS = fileURLToPath(new URL('../../../../dist/test-artifacts/controller/', import.meta.url));

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Polls a page-side expression until it is truthy. Page code is passed as strings (this project type-checks against
 * Node's lib, not the DOM's) and evaluated over CDP, which — unlike waitForFunction's string form — the page's
 * Content-Security-Policy does not block.
 */
export async function until(page: Page, expr: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await page.evaluate<boolean>(expr))) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${expr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.waitForSelector('#login-form');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}
