/**
 * End-to-end in Chromium: the fleet page stops presenting stale state as live. The controller's HTTP server is shut
 * under the open page (connections refused, as when the controller dies): a "disconnected — last update hh:mm:ss"
 * banner appears, the table is greyed and every device reads "unknown". The server listens again on the same port:
 * the banner goes and the devices' real link states come back, without a reload. An offline device whose last status
 * said "running" never shows that state, nor its last fps as current.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../src/clock.js';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { testApp } from './helpers/http.js';
import { provision } from './helpers/mqtt.js';

const health = (fps: number) => ({ cameras: [{ camera: 'cam-a', fps }], latencyMs: { p50: 9, p99: 21 } });

test(
  'fleet page: a disconnected banner while the controller is down, devices unknown, recovery on its own',
  { skip: noChromium, timeout: 90_000 },
  async () => {
    const clock = new ManualClock(Date.now());
    const { app, adminPassword } = await testApp({ clock });
    const browser = await launch();
    try {
      await provision(app.ctx.store, 'press-1', 'line-1');
      await provision(app.ctx.store, 'press-2', 'line-1');
      const now = clock.now();
      const running = { state: 'running' };
      await app.ctx.store.fleet.upsert(
        'press-1',
        { lastSeen: now, online: true, status: running, health: health(12) },
        now,
      );
      // Went away with "running" as its last word: offline, and its old state and fps are not current.
      await app.ctx.store.fleet.upsert(
        'press-2',
        { lastSeen: now, online: false, status: running, health: health(7) },
        now,
      );
      await app.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.server.address() as AddressInfo).port;
      const base = `http://127.0.0.1:${port}`;
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1300, height: 500 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await signIn(page, base, 'admin', adminPassword);
      await page.waitForSelector('#stats');
      await page.goto(`${base}/#/fleet`);
      const row = (id: string) => `document.querySelector('tr[data-id="${id}"]')`;
      const banner = `document.querySelector('#fleet-disconnected')`;
      await until(page, `${row('press-1')}?.dataset.online === 'true'`);
      assert.match(await page.evaluate<string>(`${row('press-1')}.textContent`), /cam-a 12\.0 fps/);
      const offline = await page.evaluate<string>(`${row('press-2')}.textContent`);
      assert.match(offline, /offline/);
      assert.doesNotMatch(offline, /running|7\.0 fps|9 \/ 21 ms/, 'no stale live state on an offline device');
      assert.equal(await page.evaluate<string>(`${row('press-2')}.dataset.condition`), 'offline');
      assert.equal(await page.evaluate<boolean>(`${banner}.hidden`), true, 'no banner while connected');

      // The controller goes away: new connections are refused, open keep-alive ones are cut.
      await new Promise<void>((resolve) => {
        app.server.close(() => resolve());
        app.server.closeAllConnections();
      });
      await until(page, `!${banner}.hidden`, 15_000);
      const text = await page.evaluate<string>(`${banner}.textContent`);
      assert.match(text, /^Disconnected from the controller — last update \d\d:\d\d:\d\d\. /);
      assert.match(text, /not live/);
      await until(page, `document.querySelector('#fleet').dataset.stale === 'true'`);
      for (const id of ['press-1', 'press-2']) {
        assert.equal(await page.evaluate<string>(`${row(id)}.dataset.online`), 'unknown');
        assert.equal(await page.evaluate<string>(`${row(id)}.querySelector('.link').textContent`), 'unknown');
        assert.equal(await page.evaluate<string>(`${row(id)}.querySelector('.condition').textContent`), 'unknown');
      }
      await screenshot(page, 'fleet-disconnected');

      // Back on the same port: the page recovers by itself.
      await new Promise<void>((resolve, reject) => {
        app.server.once('error', reject);
        app.server.listen(port, '127.0.0.1', () => resolve());
      });
      await until(page, `${banner}.hidden && ${row('press-1')}?.dataset.online === 'true'`, 15_000);
      assert.equal(
        await page.evaluate<string | undefined>(`document.querySelector('#fleet').dataset.stale`),
        undefined,
      );
      assert.equal(await page.evaluate<string>(`${row('press-2')}.querySelector('.link').textContent`), 'offline');
      await screenshot(page, 'fleet-reconnected');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await app.close();
    }
  },
);
