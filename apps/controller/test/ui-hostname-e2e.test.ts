/**
 * The UI opened by a hostname other than localhost, the way a plant reaches its controller. Over plain HTTP the page
 * used to hang on "Loading…": the CSP's upgrade-insecure-requests made Chromium fetch the scripts over https from a
 * server that speaks none. Headless Chromium maps lw.example.test to 127.0.0.1 (the server still binds loopback
 * only) and must reach the sign-in form both over plain HTTP (no upgrade, no HSTS) and over HTTPS with the test CA's
 * certificate for that name (upgrade and HSTS sent).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { makeTestCa } from '@linewatch/testing';
import type { App } from '../src/app.js';
import { CHROMIUM, noChromium, screenshot, until } from './helpers/browser.js';
import { testApp } from './helpers/http.js';

const HOST = 'lw.example.test';
const dir = mkdtempSync(join(tmpdir(), 'lw-ui-host-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function launchMapped(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
    ],
  });
}

/** Opens the UI at scheme://lw.example.test:port/ and returns the document's security headers once it has left "Loading…". */
async function openUi(app: App, scheme: 'http' | 'https', name: string): Promise<Record<string, string>> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `${scheme}://${HOST}:${(app.server.address() as AddressInfo).port}/`;
  const browser = await launchMapped();
  try {
    // The test CA is not in Chromium's store; its certificate for HOST is checked by the controller's TLS tests.
    const page = await (await browser.newContext({ ignoreHTTPSErrors: scheme === 'https' })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
    const res = await page.goto(url);
    assert.ok(res, `no answer from ${url}`);
    await until(page, `document.querySelector('#login-form') !== null`, 15_000).catch(async (e: unknown) => {
      await screenshot(page, `hostname-${name}`);
      throw new Error(`${String(e)}; page errors: ${errors.join(' | ')}`);
    });
    assert.equal(await page.evaluate<boolean>(`document.body.textContent.includes('Loading…')`), false);
    assert.deepEqual(errors, []);
    await screenshot(page, `hostname-${name}`);
    return res.allHeaders();
  } finally {
    await browser.close();
  }
}

test(
  'plain HTTP by hostname: the UI loads, no upgrade-insecure-requests, no HSTS',
  { skip: noChromium, timeout: 60_000 },
  async () => {
    const { app } = await testApp();
    try {
      const headers = await openUi(app, 'http', 'plain');
      assert.doesNotMatch(headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
      assert.equal(headers['strict-transport-security'], undefined);
    } finally {
      await app.close();
    }
  },
);

test(
  'HTTPS by hostname: the UI loads with upgrade-insecure-requests and HSTS',
  { skip: noChromium, timeout: 60_000 },
  async () => {
    const ca = makeTestCa(join(dir, 'ca'), { hosts: [HOST, '127.0.0.1', 'localhost'] });
    const { app } = await testApp({ overrides: { tls: { certPath: ca.certPath, keyPath: ca.keyPath } } });
    try {
      const headers = await openUi(app, 'https', 'tls');
      assert.match(headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
      assert.match(headers['strict-transport-security'] ?? '', /max-age=\d+/);
    } finally {
      await app.close();
    }
  },
);
