/**
 * End-to-end in Chromium: the models page shows lineage, held-out metrics and eligibility (with its reason); an
 * admin approves a candidate there, which starts a rollout over simulated agents; the rollout page shows the
 * decision log as it grows, and the Pause button pauses it (the decision appears with the admin as its author).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { compareHeldOut } from '@linewatch/metrics';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { PARENT_METRICS, rolloutFixture } from './helpers/rollout-fixture.js';
import { stubPackage } from './helpers/sim-agent.js';

test(
  'models & rollouts pages: approve, watch the decisions, pause',
  { skip: noChromium, timeout: 180_000 },
  async () => {
    const f = await rolloutFixture({ agents: 3, flagRate: () => 0.05 });
    const browser = await launch();
    try {
      await f.addCandidate('v2', 2, { pixelAuroc: 0.91 });
      await f.addCandidate('v2-bad', 3, { pixelAuroc: 0.5 });
      // A worker's comparison on 4 + 6 held-out items: "not enough data", shown with its intervals.
      const labels = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
      const parentScores = [5, 4, 3, 2, 2.5, 1, 1, 0.5, 0.2, 0.1];
      const comparison = compareHeldOut({
        labels,
        candidate: parentScores.map((x, i) => (i === 3 ? 0.3 : x)),
        parent: parentScores,
        threshold: 2.2,
      });
      // ... and the pixel-AUROC bootstrap interval on its 3 masked anomalies, shown beside the image interval.
      const pixelAuroc = {
        method: 'bootstrap-images' as const,
        candidate: 0.8,
        parent: 0.85,
        diff: -0.05,
        lo: -0.2,
        hi: 0.1,
        resamples: 300,
        seed: 1,
        normal: 6,
        masked: 3,
        pixels: 9 * 4096,
      };
      await f.app.registry.addVersion({
        version: 'v2-few',
        line: 'line-1',
        parentVersion: 'v1',
        jobId: 'job-few',
        datasetSnapshotId: 'ds-few',
        metrics: { candidate: PARENT_METRICS, parent: PARENT_METRICS, comparison: { ...comparison, pixelAuroc } },
        threshold: 0.5,
        packageTar: stubPackage(f.keys.privateKey, f.keys.publicKey, '1.0.4', 4),
        createdBy: 'worker:test',
      });
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
      const few = await page.evaluate<string>(`document.querySelector('tr[data-version="v2-few"]').textContent`);
      assert.match(few, /not enough data/);
      assert.match(few, /4 anomalous · 6 normal held out \(need 20 each\)/);
      assert.match(
        few,
        /image AUROC Δ -0\.\d{4} \[-\d\.\d{4}, \d\.\d{4}\] → not-enough-data|image AUROC Δ -0\.\d{4} \[-\d\.\d{4}, -?\d\.\d{4}\]/,
      );
      assert.match(few, /pixel AUROC \(3 masked\) Δ -0\.0500 \[-0\.2000, 0\.1000\] → not-enough-data/);
      // The line's first model, installed on every device: shown live, no Approve (approving it later was a downgrade).
      const first = `document.querySelector('tr[data-version="v1"]')`;
      assert.match(await page.evaluate<string>(`${first}.textContent`), /live on 3 of 3 device\(s\)/);
      assert.equal(
        await page.evaluate<boolean>(`${first}.querySelector('button') === null`),
        true,
        "no approve button on the line's installed first model",
      );
      await screenshot(page, 'models');
      await page.click('button[data-approve="v2"]');
      await until(
        page,
        `location.hash.startsWith('#/rollout/') && !!document.querySelector('tr[data-action="canary-started"]')`,
        15_000,
      );
      await until(page, `!!document.querySelector('tr[data-action="wave-live"]')`, 20_000);
      // The QA gate's standing: no review yet, and the default policy does not hold the waves for them.
      assert.match(
        await page.evaluate<string>(`document.querySelector('#qa-gate').textContent`),
        /QA gate: 0 review\(s\) on the candidate, 0 on the parent, need 20 each — 40 review\(s\) missing \(not held/,
      );
      await page.click('button[data-action="pause"]');
      await until(page, `document.querySelector('#rollout-state')?.textContent === 'paused'`, 10_000);
      const paused = await page.evaluate<string>(`document.querySelector('tr[data-action="paused"]').textContent`);
      assert.match(paused, /pause from the UI/);
      await screenshot(page, 'rollout-paused');
      const id = decodeURIComponent(await page.evaluate<string>(`location.hash.slice('#/rollout/'.length)`));
      assert.equal((await f.rollout(id)).rollout.state, 'paused');
      // The Approved column names the approver (the username), not the user id the row keeps.
      await page.goto(`${base}/#/models`);
      const approved = `document.querySelector('tr[data-version="v2"] td.approved')`;
      await until(page, `!!${approved}?.textContent.trim()`);
      const adminId = (await f.app.ctx.store.users.findByName('admin'))!.id;
      const cell = await page.evaluate<string>(`${approved}.textContent`);
      assert.match(cell, /^admin/);
      assert.ok(!cell.includes(adminId), `no user id in ${cell}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await f.close();
    }
  },
);
