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
    assert.deepEqual(cells.slice(0, 6), ['line-1', '3', '2', '4', '3 / 10', 'base-1']);

    await page.click('button[data-train="line-1"]');
    const row = `document.querySelector('tr[data-job]')`;
    await until(page, `${row}?.dataset.status === 'queued'`);
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
