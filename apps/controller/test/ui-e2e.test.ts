/**
 * End-to-end through the real UI in headless Chromium (system package, driven by playwright-core): sign in, open
 * the queue, open an event, paint + undo + save a mask, step to the next event and reject it with the keyboard.
 * Assertions are made against the store, not just the page.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { chromium, type Page } from 'playwright-core';
import { decodeMask, encodeJpeg } from '@linewatch/vision';
import { login, testApp, userSession } from './helpers/http.js';
import { grayPng } from './helpers/png.js';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Polls a page-side expression until it is truthy. Page code is passed as strings (this project type-checks against
 * Node's lib, not the DOM's) and evaluated over CDP, which — unlike waitForFunction's string form — the page's
 * Content-Security-Policy does not block.
 */
async function until(page: Page, expr: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await page.evaluate<boolean>(expr))) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${expr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const W = 160;
const H = 120;

test('QA reviews events in the browser UI', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} missing (apt-get install chromium)`, timeout: 60_000 }, async () => {
  const { app, adminPassword } = await testApp();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const admin = await login(app, 'admin', adminPassword);
    await userSession(app, admin, 'qa1', 'qa', ['line-1']);
    const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 13) % 251);
    const frameRef = await app.ctx.files.put(await encodeJpeg({ width: W, height: H, channels: 3, data: rgb }));
    const mapRef = await app.ctx.files.put(grayPng(W, H, new Uint8Array(W * H).map((_, i) => (i % W > W / 2 ? 220 : 10))));
    const ids: string[] = [];
    for (const [i, line] of ['line-1', 'line-2', 'line-1'].entries()) {
      const id = randomUUID();
      ids.push(id);
      await app.ctx.store.insertEventOnce({
        id, deviceId: 'dev-1', sequence: i, line, camera: 'cam-1', ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        modelVersion: 'm1', score: 0.5 + i / 10, threshold: 0.5, frameRef, mapRef, frameWidth: W, frameHeight: H,
        receivedAt: new Date(),
      });
    }
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${base}/`);
    await page.waitForSelector('#login-form');
    await page.fill('input[name=username]', 'qa1');
    await page.fill('input[name=password]', 'pw-qa1-0123456789');
    await page.click('button[type=submit]');
    await page.waitForSelector('tr.row');
    // Newest first, and the line-2 event is not visible to this QA user.
    assert.deepEqual(await page.evaluate<string[]>(`[...document.querySelectorAll('tr.row')].map((r) => r.dataset.id)`), [
      ids[2],
      ids[0],
    ]);

    await page.keyboard.press('Enter');
    await page.waitForSelector('#mask');
    // The hot right half of the map is drawn with high alpha.
    await until(page, `(() => { const c = document.querySelector('#heat');
      return c.getContext('2d').getImageData(c.width - 2, 1, 1, 1).data[3] > 100; })()`);
    const box = (await page.locator('#mask').boundingBox())!;
    const paint = async (fx: number) => {
      await page.mouse.move(box.x + box.width * fx, box.y + box.height * 0.3);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * fx, box.y + box.height * 0.7, { steps: 5 });
      await page.mouse.up();
    };
    await paint(0.8);
    await page.keyboard.press('z'); // undo the stroke on the right
    await paint(0.2);
    await page.keyboard.press('s');
    await until(page, `document.querySelector('#status')?.textContent === 'confirmed'`);

    const mask = await app.ctx.store.getMask(ids[2]!);
    assert.ok(mask, 'mask stored');
    const bits = await decodeMask(await app.ctx.files.get(mask.ref), { expectedSize: { width: W, height: H } });
    const at = (x: number, y: number) => bits.data[Math.round(y) * W + Math.round(x)];
    assert.equal(at(W * 0.2, H * 0.5), 1, 'painted pixel is set');
    assert.equal(at(W * 0.8, H * 0.5), 0, 'undone stroke is not in the mask');
    assert.equal((await app.ctx.store.getEvent(ids[2]!))?.labelStatus, 'confirmed');

    await page.keyboard.press('j'); // next event in the queue
    await until(page, `location.hash === '#/event/${ids[0]}'`);
    await page.waitForSelector('#mask');
    await page.keyboard.press('r');
    await until(page, `document.querySelector('#status')?.textContent === 'rejected'`);
    const rejected = await app.ctx.store.getEvent(ids[0]!);
    assert.equal(rejected?.labelStatus, 'rejected');
    assert.equal(rejected?.reviewerId, (await app.ctx.store.findUserByName('qa1'))?.id);
    await app.ctx.store.createDevice({
      id: 'dev-1', name: 'd', site: 'default', line: 'line-1', credentialHash: 'x', createdAt: new Date(), disabledAt: null,
    });
    await app.ctx.store.upsertFleet('dev-1', { online: true, lastSeen: new Date(), agentVersion: '9.9.9' }, new Date());
    await page.goto(`${base}/#/fleet`);
    await until(page, `document.querySelector('tr[data-id="dev-1"]')?.textContent.includes('9.9.9') === true`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.close();
  }
});
