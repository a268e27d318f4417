/**
 * End-to-end in Chromium (issue #20): the Calibration page proposes a threshold for a camera from its stored score
 * sketches, shows the expected flag rate against the current one, approves it with a reason (revision 1 in the
 * history, published to the device's retained threshold topic); after the camera's scores move, the Fleet page shows
 * a drift alert naming the camera with its suggestion. Screenshots: calibration-proposal, fleet-drift-alert.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { ScoreSketch } from '@linewatch/protocol';
import type { App } from '../src/app.js';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { testApp } from './helpers/http.js';
import { provision } from './helpers/mqtt.js';

/** Ten one-minute windows of 200 frames ending `endMs`, scores spread evenly over [lo, hi], judged by 0.2. */
async function windows(app: App, endMs: number, lo: number, hi: number): Promise<void> {
  for (let w = 0; w < 10; w++) {
    const s = new ScoreSketch();
    for (let i = 0; i < 200; i++) s.add(lo + ((hi - lo) * i) / 199);
    await app.ctx.store.calibration.insertWindow({
      id: randomUUID(),
      deviceId: 'press-9',
      line: 'line-1',
      camera: 'cam-1',
      modelVersion: 'm-1',
      start: new Date(endMs - (10 - w) * 60_000),
      durationMs: 60_000,
      threshold: 0.2,
      frames: 200,
      flagged: Math.round((200 * (hi - Math.max(lo, 0.2))) / (hi - lo)),
      sketch: s.toCounts(),
      frameStats: { frozen: 0, dark: 0, saturated: 0, lumaMean: 120 },
      receivedAt: new Date(endMs),
    });
  }
}

test(
  'calibration page: propose, approve with a reason; fleet page: a drift alert',
  { skip: noChromium, timeout: 60_000 },
  async () => {
    const { app, adminPassword } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } } });
    const browser = await launch();
    try {
      await provision(app.ctx.store, 'press-9', 'line-1');
      const now = Date.now();
      await windows(app, now - 5 * 60_000, 0.1, 0.5);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1300, height: 800 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('dialog', (d) => void d.dismiss());
      await signIn(page, base, 'admin', adminPassword);
      await page.waitForSelector('#stats');
      await page.goto(`${base}/#/calibration/press-9/cam-1`);
      await until(page, `document.querySelector('#proposed-threshold') !== null`, 15_000).catch(async (e: unknown) => {
        throw new Error(
          `${String(e)}: ${await page.evaluate<string>('document.querySelector("#main").innerHTML')} ${errors.join()}`,
        );
      });
      // Default target 0.5 %: 10 of 2000 frames may lie above; every window flags (0.5 − 0.2) / 0.4 = 75 %.
      const proposed = Number(await page.evaluate<string>(`document.querySelector('#proposed-threshold').textContent`));
      assert.ok(proposed > 0.49 && proposed < 0.52, String(proposed));
      const table = await page.evaluate<string>(`document.querySelector('table.proposal').textContent`);
      assert.ok(table.includes('75.00 %'), table);
      await page.fill('#approve-form input[name=reason]', 'first calibration of press 9');
      await page.click('#approve-form button');
      await until(
        page,
        `document.querySelector('table.revisions')?.textContent.includes('first calibration of press 9')`,
      );
      const history = await page.evaluate<string>(`document.querySelector('table.revisions tbody').textContent`);
      assert.ok(history.includes('admin') && history.includes('in force'), history);
      await until(page, `document.querySelector('table.calibration-cameras tbody').textContent.includes('rev 1')`);
      await screenshot(page, 'calibration-proposal');
      const revs = await app.ctx.store.calibration.revisions('press-9', 'cam-1');
      assert.deepEqual(
        revs.map((r) => [r.revision, r.reason, r.authorName]),
        [[1, 'first calibration of press 9', 'admin']],
      );

      // The lamp changed: the newest windows score far higher than the calibration's.
      await windows(app, now + 10 * 60_000, 1, 2);
      await page.goto(`${base}/#/fleet`);
      await until(page, `document.querySelector('.drift-alert') !== null`, 15_000);
      const alert = await page.evaluate<string>(`document.querySelector('.drift-alert').textContent`);
      for (const want of ['press-9 / cam-1', 'score distribution drifted', 'PSI', 'retrain'])
        assert.ok(alert.includes(want), `${want} in ${alert}`);
      await screenshot(page, 'fleet-drift-alert');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await app.close();
    }
  },
);
