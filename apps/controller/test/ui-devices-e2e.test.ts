/**
 * End-to-end in Chromium: the bootstrap admin's one-time password leads to the forced password change; the Devices
 * page creates an enrollment token (shown once) that a device then trades, disables, re-keys (new credentials shown
 * once) and deletes a device; the Users page creates a QA user, sets line scope and resets the password, after which
 * that user is made to change it at sign-in.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { testApp } from './helpers/http.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

async function changePassword(page: Page, current: string, next: string): Promise<void> {
  await page.waitForSelector('#password-forced');
  await page.fill('input[name=current]', current);
  await page.fill('input[name=next]', next);
  await page.fill('input[name=again]', next);
  await page.click('#password-form button[type=submit]');
  await page.waitForSelector('#stats');
}

const rowState = (id: string) => `document.querySelector('tr[data-device="${id}"]')?.dataset.state`;

test(
  'Devices and Users pages, and the forced change of one-time passwords',
  { skip: noChromium, timeout: 90_000 },
  async () => {
    const { app, adminPassword } = await testApp({ oneTimeAdminPassword: true });
    const browser = await launch();
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1300, height: 700 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('dialog', (d) => void d.accept());
      await signIn(page, base, 'admin', adminPassword);
      await screenshot(page, 'password-forced');
      await changePassword(page, adminPassword, 'admin-chosen-password-1');
      assert.equal((await app.ctx.store.users.findByName('admin'))?.mustChangePassword, false);

      // Devices: enroll (token shown once), then a device trades it.
      await page.goto(`${base}/#/devices`);
      await page.waitForSelector('#enroll-form');
      await page.fill('#enroll-form input[name=line]', 'line-1');
      await page.fill('#enroll-form input[name=device]', 'press-7');
      await page.fill('#enroll-form input[name=name]', 'Press 7');
      await page.click('#enroll-form button[type=submit]');
      await page.waitForSelector('#enroll-token');
      const token = (await page.textContent('#enroll-token'))!.trim();
      assert.match(
        (await page.textContent('#enroll-command'))!,
        /^linewatch-agent enroll --controller http:\/\/127\.0\.0\.1:\d+ --token /,
      );
      await until(page, `document.querySelector('#tokens tr[data-state="pending"]') !== null`);
      const enrolled = await app.inject({ method: 'POST', url: '/api/v1/enroll', payload: { token } });
      assert.equal(enrolled.statusCode, 200, enrolled.body);
      await page.goto(`${base}/#/queue`);
      await page.goto(`${base}/#/devices`);
      await until(page, `${rowState('press-7')} === 'never connected'`);
      await until(page, `document.querySelector('#tokens tr[data-state="used"]') !== null`);
      await screenshot(page, 'devices');

      await page.click('tr[data-device="press-7"] button[data-act=disable]');
      await until(page, `${rowState('press-7')} === 'disabled'`);
      assert.ok((await app.ctx.store.devices.find('press-7'))?.disabledAt);
      await page.click('tr[data-device="press-7"] button[data-act=enable]');
      await until(page, `${rowState('press-7')} === 'never connected'`);
      await page.click('tr[data-device="press-7"] button[data-act=rekey]');
      await page.waitForSelector('#rekey-password');
      const secret = (await page.textContent('#rekey-password'))!.trim();
      assert.equal((await app.ctx.store.devices.find('press-7'))?.credentialHash, sha256(secret));
      await page.click('tr[data-device="press-7"] button[data-act=delete]');
      await until(page, `document.querySelector('tr[data-device="press-7"]') === null`);
      assert.equal(await app.ctx.store.devices.find('press-7'), null);

      // Users: create, scope, reset.
      await page.goto(`${base}/#/users`);
      await page.waitForSelector('#user-form');
      await page.fill('#user-form input[name=username]', 'qa1');
      await page.fill('#user-form input[name=password]', 'first-qa-password-1');
      await page.fill('#user-form input[name=lines]', 'line-1');
      await page.click('#user-form button[type=submit]');
      const qaRow = 'tr[data-username="qa1"]';
      await page.waitForSelector(qaRow);
      await page.fill(`${qaRow} input[name=lines]`, 'line-1, line-2');
      await page.click(`${qaRow} button[data-act=save]`);
      await until(page, `document.querySelector('${qaRow} input[name=lines]')?.value === 'line-1, line-2'`);
      await page.fill(`${qaRow} input[name=reset]`, 'reset-by-admin-123');
      await page.click(`${qaRow} button[data-act=reset]`);
      await until(page, `document.querySelector('${qaRow}')?.textContent.includes('must change password')`);
      await screenshot(page, 'users');
      const qa = await app.ctx.store.users.findByName('qa1');
      assert.deepEqual([qa?.role, qa?.lines, qa?.mustChangePassword], ['qa', ['line-1', 'line-2'], true]);

      const qaPage = await (await browser.newContext()).newPage();
      qaPage.on('pageerror', (e) => errors.push(e.message));
      await signIn(qaPage, base, 'qa1', 'reset-by-admin-123');
      await changePassword(qaPage, 'reset-by-admin-123', 'qa-own-password-99');
      assert.equal((await app.ctx.store.users.findByName('qa1'))?.mustChangePassword, false);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await app.close();
    }
  },
);
