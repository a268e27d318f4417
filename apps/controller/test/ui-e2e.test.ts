/**
 * End-to-end through the real UI in headless Chromium (system package, driven by playwright-core): sign in, open
 * the queue, open an event, paint + undo + save a mask, step to the next event and reject it with the keyboard.
 * Assertions are made against the store, not just the page.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { decodeMask, encodeJpeg } from '@linewatch/vision';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { login, testApp, userSession } from './helpers/http.js';
import { grayPng } from './helpers/png.js';

const W = 160;
const H = 120;

test('QA reviews events in the browser UI', { skip: noChromium, timeout: 60_000 }, async () => {
  const { app, adminPassword } = await testApp();
  const browser = await launch();
  try {
    const admin = await login(app, 'admin', adminPassword);
    await userSession(app, admin, 'qa1', 'qa', ['line-1']);
    const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 13) % 251);
    const frameRef = await app.ctx.files.put(await encodeJpeg({ width: W, height: H, channels: 3, data: rgb }));
    const mapRef = await app.ctx.files.put(
      grayPng(
        W,
        H,
        new Uint8Array(W * H).map((_, i) => (i % W > W / 2 ? 220 : 10)),
      ),
    );
    const ids: string[] = [];
    for (const [i, line] of ['line-1', 'line-2', 'line-1'].entries()) {
      const id = randomUUID();
      ids.push(id);
      await app.ctx.store.events.insertOnce({
        id,
        deviceId: 'dev-1',
        sequence: i,
        line,
        camera: 'cam-1',
        ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        modelVersion: 'm1',
        score: 0.5 + i / 10,
        threshold: 0.5,
        frameRef,
        mapRef,
        frameWidth: W,
        frameHeight: H,
        receivedAt: new Date(),
      });
    }
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.setViewportSize({ width: 1200, height: 800 });
    await signIn(page, base, 'qa1', 'pw-qa1-0123456789');
    await page.waitForSelector('tr.row');
    // Label statistics: only the visible line, all pending so far.
    await until(page, `document.querySelector('#stats tr[data-line="line-1"]')?.textContent.includes('2') === true`);
    assert.equal(await page.evaluate<number>(`document.querySelectorAll('#stats tbody tr').length`), 1);
    await screenshot(page, 'queue');
    // Newest first, and the line-2 event is not visible to this QA user.
    assert.deepEqual(
      await page.evaluate<string[]>(`[...document.querySelectorAll('tr.row')].map((r) => r.dataset.id)`),
      [ids[2], ids[0]],
    );

    await page.keyboard.press('Enter');
    await until(page, `document.querySelector('.event[data-ready]')?.dataset.id === '${ids[2]}'`);
    // The hot right half of the map is drawn with high alpha.
    await until(
      page,
      `(() => { const c = document.querySelector('#heat');
      return c.getContext('2d').getImageData(c.width - 2, 1, 1, 1).data[3] > 100; })()`,
    );
    // Neighbours in time on the same device/camera: the two visible events, oldest first, this one marked.
    await until(page, `document.querySelectorAll('#neighbours .nb').length === 2`);
    assert.deepEqual(
      await page.evaluate<string[]>(`[...document.querySelectorAll('#neighbours .nb')].map((a) => a.dataset.id)`),
      [ids[0], ids[2]],
    );
    assert.equal(await page.evaluate<string>(`document.querySelector('#neighbours .nb.current').dataset.id`), ids[2]);
    // The overlay's translucency follows the slider.
    await page.locator('#opacity').fill('25');
    assert.equal(await page.evaluate<string>(`document.querySelector('#heat').style.opacity`), '0.25');
    // Zoom in and back: the stage scales, and painting below happens at fit so positions are simple to check.
    await page.keyboard.press('+');
    await until(page, `Number(document.querySelector('#stage').dataset.zoom) > 1`);
    await screenshot(page, 'event-zoomed');
    await page.keyboard.press('0');
    await until(page, `document.querySelector('#stage').dataset.zoom === '1.00'`);
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
    await screenshot(page, 'event-painted');

    const mask = await app.ctx.store.events.getMask(ids[2]!);
    assert.ok(mask, 'mask stored');
    const bits = await decodeMask(await app.ctx.files.get(mask.ref), { expectedSize: { width: W, height: H } });
    const at = (x: number, y: number) => bits.data[Math.round(y) * W + Math.round(x)];
    assert.equal(at(W * 0.2, H * 0.5), 1, 'painted pixel is set');
    assert.equal(at(W * 0.8, H * 0.5), 0, 'undone stroke is not in the mask');
    // Region check: the stroke's column (x = 20 %, y 30–70 %) is set; everything well away from it is not.
    let setOutside = 0;
    let setInside = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = bits.data[y * W + x];
        const nearStroke = Math.abs(x - W * 0.2) < 8 && y > H * 0.3 - 8 && y < H * 0.7 + 8;
        if (!nearStroke && v) setOutside += 1;
        if (Math.abs(x - W * 0.2) < 1 && y > H * 0.32 && y < H * 0.68 && v) setInside += 1;
      }
    }
    assert.equal(setOutside, 0, 'no pixel set away from the painted stroke');
    assert.ok(setInside >= Math.floor(H * 0.35), `the stroke's centre line is fully set (${setInside})`);
    assert.equal((await app.ctx.store.events.get(ids[2]!))?.labelStatus, 'confirmed');

    await page.keyboard.press('j'); // next event in the queue
    await until(page, `location.hash === '#/event/${ids[0]}'`);
    // The previous event's view stays until the next one has loaded: wait for the new one's shortcuts.
    await until(page, `document.querySelector('.event[data-ready]')?.dataset.id === '${ids[0]}'`);
    await page.keyboard.press('r');
    await until(page, `document.querySelector('#status')?.textContent === 'rejected'`);
    const rejected = await app.ctx.store.events.get(ids[0]!);
    assert.equal(rejected?.labelStatus, 'rejected');
    assert.equal(rejected?.reviewerId, (await app.ctx.store.users.findByName('qa1'))?.id);
    await app.ctx.store.devices.create({
      id: 'dev-1',
      name: 'd',
      site: 'default',
      line: 'line-1',
      credentialHash: 'x',
      createdAt: new Date(),
      disabledAt: null,
    });
    await app.ctx.store.fleet.upsert(
      'dev-1',
      { online: true, lastSeen: new Date(), agentVersion: '9.9.9' },
      new Date(),
    );
    await page.goto(`${base}/#/fleet`);
    await until(page, `document.querySelector('tr[data-id="dev-1"]')?.textContent.includes('9.9.9') === true`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.close();
  }
});
