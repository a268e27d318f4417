/**
 * Defect classes end-to-end in headless Chromium: an admin creates two classes on the Classes page; a reviewer
 * confirms one event with a class picked by its shortcut digit, paints a stroke with the other class on a second
 * event and saves it (an indexed-colour PNG whose palette index is the class); the queue's class filter shows each.
 * Assertions are made against the store and the stored PNG, not just the page.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { decodeIndexedPng, encodeJpeg, isIndexedPng } from '@linewatch/vision';
import type { App } from '../src/app.js';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { login, testApp, userSession } from './helpers/http.js';
import { grayPng } from './helpers/png.js';

const W = 160;
const H = 120;

async function seedEvents(app: App): Promise<string[]> {
  const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 13) % 251);
  const frameRef = await app.ctx.files.put(await encodeJpeg({ width: W, height: H, channels: 3, data: rgb }));
  const mapRef = await app.ctx.files.put(grayPng(W, H, new Uint8Array(W * H).fill(30)));
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const id = randomUUID();
    ids.push(id);
    await app.ctx.store.events.insertOnce({
      ...{ id, deviceId: 'dev-1', sequence: i, line: 'line-1', camera: 'cam-1', modelVersion: 'm1' },
      ...{ ts: new Date(Date.UTC(2026, 11, 3, 0, 0, i)), score: 0.9, threshold: 0.5, frameRef, mapRef },
      ...{ frameWidth: W, frameHeight: H, receivedAt: new Date() },
    });
  }
  return ids;
}

async function createClass(page: Page, name: string, color: string, key: string): Promise<void> {
  await page.fill('#class-form input[name=line]', 'line-1');
  await page.fill('#class-form input[name=name]', name);
  await page.fill('#class-form input[name=color]', color);
  await page.selectOption('#class-form select[name=key]', key);
  await page.click('#class-form button[type=submit]');
  await until(page, `document.querySelector('#class-table tr[data-name="${name}"]') !== null`);
}

async function openEvent(page: Page, id: string): Promise<void> {
  await page.evaluate(`location.hash = '#/event/${id}'`);
  await until(page, `document.querySelector('.event[data-ready]')?.dataset.id === '${id}'`);
}

async function filterQueue(page: Page, classId: string): Promise<string[]> {
  await page.evaluate(`location.hash = '#/queue'`);
  await page.waitForSelector('#class-filter option[value="' + classId + '"]', { state: 'attached' });
  await page.selectOption('#class-filter', classId);
  await page.click('#filters button[type=submit]');
  await until(page, `location.hash.includes('defectClass=${classId}') && document.querySelector('#rows tr') !== null`);
  return page.evaluate<string[]>(`[...document.querySelectorAll('tr.row')].map((r) => r.dataset.id)`);
}

test(
  'defect classes in the browser: admin taxonomy, confirm by key, class stroke, queue filter',
  {
    skip: noChromium,
    timeout: 90_000,
  },
  async () => {
    const { app, adminPassword } = await testApp();
    const browser = await launch();
    try {
      const admin = await login(app, 'admin', adminPassword);
      await userSession(app, admin, 'boss', 'admin', []);
      await userSession(app, admin, 'qa1', 'qa', ['line-1']);
      const [older, newer] = (await seedEvents(app)) as [string, string];
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const errors: string[] = [];

      const adminPage = await browser.newPage();
      adminPage.on('pageerror', (e) => errors.push(e.message));
      await adminPage.setViewportSize({ width: 1200, height: 800 });
      await signIn(adminPage, base, 'boss', 'pw-boss-0123456789');
      await adminPage.waitForSelector('tr.row');
      await adminPage.evaluate(`location.hash = '#/classes'`);
      await adminPage.waitForSelector('#class-form');
      await createClass(adminPage, 'scratch', '#20c040', '1');
      await createClass(adminPage, 'dent', '#3070ff', '2');
      await screenshot(adminPage, 'classes-admin');
      const classes = await app.ctx.store.classes.list('line-1');
      assert.deepEqual(
        classes.map((c) => [c.name, c.color, c.key, c.paletteIndex]),
        [
          ['scratch', '#20c040', '1', 1],
          ['dent', '#3070ff', '2', 2],
        ],
      );
      const [scratch, dent] = classes as [(typeof classes)[0], (typeof classes)[0]];

      const page = await browser.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setViewportSize({ width: 1400, height: 900 });
      await signIn(page, base, 'qa1', 'pw-qa1-0123456789');
      await page.waitForSelector('tr.row');

      // Confirm the newer event with "scratch", picked by its key.
      await openEvent(page, newer);
      await page.keyboard.press('1');
      await until(page, `document.querySelector('#classes').dataset.picked === 'scratch'`);
      await page.keyboard.press('c');
      await until(page, `document.querySelector('#status')?.textContent === 'confirmed'`);
      assert.equal((await app.ctx.store.events.get(newer))?.defectClassId, scratch.id);

      // Paint a "dent" stroke on the older event and save it.
      await openEvent(page, older);
      await page.keyboard.press('2');
      await until(page, `document.querySelector('#classes').dataset.picked === 'dent'`);
      const box = (await page.locator('#mask').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.7, { steps: 5 });
      await page.mouse.up();
      await page.keyboard.press('s');
      await until(page, `document.querySelector('#status')?.textContent === 'confirmed'`);
      await screenshot(page, 'classes-event-painted');
      assert.deepEqual(
        (await app.ctx.store.events.maskClasses(older)).map((m) => m.classId),
        [dent.id],
      );
      const png = await app.ctx.files.get((await app.ctx.store.events.getMask(older))!.ref);
      assert.ok(isIndexedPng(png), 'the mask is stored as an indexed-colour PNG');
      const m = decodeIndexedPng(png);
      assert.equal(m.data[Math.round(H * 0.5) * W + Math.round(W * 0.3)], dent.paletteIndex, 'the stroke is a dent');
      assert.equal(m.data[Math.round(H * 0.5) * W + Math.round(W * 0.8)], 0, 'away from the stroke: background');
      assert.deepEqual([...new Set(m.data)].sort(), [0, dent.paletteIndex], 'only background and the dent class');

      // The queue's class filter finds each event by its class.
      assert.deepEqual(await filterQueue(page, dent.id), [older]);
      await screenshot(page, 'classes-queue-filtered');
      assert.deepEqual(await filterQueue(page, scratch.id), [newer]);
      assert.match(await page.locator('tr.row').first().innerText(), /confirmed\s+scratch/, 'the row names the class');
      await until(page, `document.querySelector('#stats .by-class')?.textContent.includes('dent 0 / 1') === true`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await app.close();
    }
  },
);
