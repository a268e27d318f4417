/**
 * End-to-end in Chromium: the jobs page shows a line's training data, "Train now" queues a job, and a worker's
 * heartbeats and completion appear live (the page polls; no reload).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { testApp } from './helpers/http.js';
import { MemoryModels, WORKER_TOKEN, claimOf, many, seedEvents, workerClient } from './helpers/jobs.js';

test('jobs page: train now, live progress, completion', { skip: noChromium, timeout: 60_000 }, async () => {
  const models = new MemoryModels();
  models.live.set('line-1', 'base-1');
  const { app, adminPassword } = await testApp({
    jobModels: models,
    overrides: { jobs: { workerToken: WORKER_TOKEN, autoTriggerMinMasks: 10 } },
  });
  const browser = await launch();
  try {
    await seedEvents(app, [
      ...many(3, { line: 'line-1', label: 'confirmed', mask: true }),
      ...many(2, { line: 'line-1', label: 'confirmed' }),
      ...many(4, { line: 'line-1', label: 'rejected' }),
    ]);
    // Unflagged frames the agents sampled as normal: normals too, but not rejected false alarms.
    for (let i = 0; i < 5; i++) {
      const now = app.ctx.clock.now();
      await app.ctx.store.samples.insertOnce({
        id: `sample-${i}`,
        deviceId: 'dev-line-1',
        sequence: 10_000 + i,
        line: 'line-1',
        camera: 'cam-1',
        ts: new Date(now.getTime() - 1000 + i),
        modelVersion: 'm1',
        score: 0.1,
        threshold: 0.5,
        frameRef: await app.ctx.files.put(Buffer.from(`\xff\xd8\xff sample ${i}`, 'latin1')),
        frameWidth: 32,
        frameHeight: 24,
        receivedAt: now,
      });
    }
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1400, height: 600 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page, base, 'admin', adminPassword);
    await page.waitForSelector('#stats');
    await page.goto(`${base}/#/jobs`);
    const line = `document.querySelector('tr[data-line="line-1"]')`;
    await until(page, `${line} !== null`);
    const cells = await page.evaluate<string[]>(`[...${line}.children].map((c) => c.textContent.trim())`);
    // px, img, rejected false alarms, sampled normals: the 5 samples are not counted as rejected.
    assert.deepEqual(cells.slice(0, 7), ['line-1', '3', '2', '4', '5', '3 / 10', 'base-1']);

    await page.click('button[data-train="line-1"]');
    const row = `document.querySelector('tr[data-job]')`;
    await until(page, `${row}?.dataset.status === 'queued'`);
    // The job's snapshot counts its normals by origin too (train + held out = 4 rejected, 5 sampled).
    const counts = await page.evaluate<string>(`${row}.querySelector('.hint').textContent`);
    const sum = (what: string) =>
      [...counts.matchAll(new RegExp(`(\\d+) ${what}`, 'g'))].reduce((s, m) => s + Number(m[1]), 0);
    assert.deepEqual([sum('rejected'), sum('sampled normal')], [4, 5], counts);
    await until(page, `${line}.querySelector('button').disabled`);

    const worker = workerClient(app);
    const c = claimOf(await worker.claim('gpu-1'));
    assert.equal((await worker.heartbeat(c.job.id, c.leaseId)).statusCode, 200);
    await until(
      page,
      `${row}.dataset.status === 'running' && ${row}.textContent.includes('epoch 1/4') && ${row}.textContent.includes('gpu-1')`,
    );
    await screenshot(page, 'jobs-running');

    const tar = Buffer.from('candidate');
    await worker.upload(c.job.id, c.leaseId, tar);
    const done = await worker.complete(c.job.id, c.leaseId, createHash('sha256').update(tar).digest('hex'));
    assert.equal(done.statusCode, 200, done.body);
    await until(page, `${row}.dataset.status === 'succeeded' && ${row}.textContent.includes('img 0.900')`);
    await screenshot(page, 'jobs-succeeded');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.close();
  }
});
