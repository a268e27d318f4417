/**
 * End-to-end: a real agent process (test/fixtures/fake-agent.ts) connects as a provisioned device with the
 * protocol's death message as its will and publishes birth + health; the fleet page in Chromium shows it online with
 * its fps, latency and outbox depth, degraded by its provider fallback (coded reason and provider shown). SIGKILL
 * the process: the broker publishes the will, ingest marks the device offline, and the page (which refreshes itself)
 * shows it — no reload.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { testApp } from './helpers/http.js';
import { provision } from './helpers/mqtt.js';

const controllerDir = fileURLToPath(new URL('..', import.meta.url));

test(
  'fleet page: a device goes offline when its agent process is killed',
  { skip: noChromium, timeout: 60_000 },
  async () => {
    const { app, adminPassword } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } } });
    const browser = await launch();
    const d = await provision(app.ctx.store, 'press-7', 'line-1');
    const agent = spawn(
      process.execPath,
      [
        '--conditions=@linewatch/source',
        '--import',
        'tsx',
        'test/fixtures/fake-agent.ts',
        String(app.broker!.port),
        d.site,
        d.line,
        d.id,
        d.secret,
        '41',
      ],
      { cwd: controllerDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    agent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    agent.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => agent.once('exit', (_c, sig) => resolve(sig)));
    try {
      const start = Date.now();
      while (!out.includes('ready')) {
        if (agent.exitCode !== null || Date.now() - start > 20_000)
          throw new Error(`fake agent did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1200, height: 500 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await signIn(page, base, 'admin', adminPassword);
      await page.waitForSelector('#stats');
      await page.goto(`${base}/#/fleet`);
      const row = `document.querySelector('tr[data-id="press-7"]')`;
      await until(page, `${row}?.dataset.online === 'true' && ${row}.textContent.includes('31 ms')`, 20_000);
      const text = await page.evaluate<string>(`${row}.textContent`);
      for (const want of ['online', '0.9.0-e2e', 'm-e2e', '11.5 fps', '14 / 31 ms'])
        assert.ok(text.includes(want), `${want} in ${text}`);
      assert.equal(await page.evaluate<string>(`${row}.dataset.condition`), 'degraded');
      assert.equal(
        await page.evaluate<string>(`${row}.querySelector('.problems').textContent`),
        'inference: LW_AGENT_PROVIDER_FALLBACK — cuda unavailable, running on cpu',
      );
      assert.equal(await page.evaluate<string>(`${row}.querySelector('.provider').textContent`), 'cpu');
      assert.equal(await page.evaluate<string>(`${row}.lastElementChild.textContent`), '3', 'outbox depth');
      await screenshot(page, 'fleet-online');

      agent.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      await until(
        page,
        `${row}?.dataset.online === 'false' && ${row}.querySelector('.link').textContent === 'offline'` +
          ` && ${row}.dataset.condition === 'offline'`,
        15_000,
      );
      await screenshot(page, 'fleet-offline');
      assert.equal((await app.ctx.store.fleet.get('press-7'))?.online, false);
      assert.deepEqual(errors, []);
    } finally {
      if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
      await browser.close();
      await app.close();
    }
  },
);
