/**
 * End-to-end in Chromium: the models page shows lineage, held-out metrics and eligibility (with its reason); an
 * admin approves a candidate there, which starts a rollout over simulated agents; the rollout page shows the
 * decision log as it grows, and the Pause button pauses it (the decision appears with the admin as its author).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { rolloutFixture } from './helpers/rollout-fixture.js';

test(
  'models & rollouts pages: approve, watch the decisions, pause',
  { skip: noChromium, timeout: 90_000 },
  async () => {
    const f = await rolloutFixture({ agents: 3, flagRate: () => 0.05 });
    const browser = await launch();
    try {
      await f.addCandidate('v2', 2, { pixelAuroc: 0.91 });
      await f.addCandidate('v2-bad', 3, { pixelAuroc: 0.5 });
      // Slow waves so there is time to pause from the page.
      await f.app.registry.store.putPolicy(
        'line-1',
        { canaryDevices: 1, waveDevices: 1, observeS: 30, minFrames: 10, minBaselineFrames: 10, healthGraceS: 0.6 },
        'test',
        new Date(),
      );
      const base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1400, height: 800 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await signIn(page, base, 'admin', f.adminPassword);
      await page.waitForSelector('#stats');
      await page.goto(`${base}/#/models`);
      const bad = `document.querySelector('tr[data-version="v2-bad"]')`;
      await until(page, `${bad}?.textContent.includes('ineligible')`);
      assert.match(await page.evaluate<string>(`${bad}.textContent`), /pixelAuroc 0\.5000 < parent 0\.8500/);
      assert.equal(
        await page.evaluate<boolean>(`${bad}.querySelector('button') === null`),
        true,
        'no approve button on an ineligible version',
      );
      await screenshot(page, 'models');
      await page.click('button[data-approve="v2"]');
      await until(
        page,
        `location.hash.startsWith('#/rollout/') && !!document.querySelector('tr[data-action="canary-started"]')`,
        15_000,
      );
      await until(page, `!!document.querySelector('tr[data-action="wave-live"]')`, 20_000);
      await page.click('button[data-action="pause"]');
      await until(page, `document.querySelector('#rollout-state')?.textContent === 'paused'`, 10_000);
      const paused = await page.evaluate<string>(`document.querySelector('tr[data-action="paused"]').textContent`);
      assert.match(paused, /pause from the UI/);
      await screenshot(page, 'rollout-paused');
      const id = decodeURIComponent(await page.evaluate<string>(`location.hash.slice('#/rollout/'.length)`));
      assert.equal((await f.rollout(id)).rollout.state, 'paused');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await f.close();
    }
  },
);
