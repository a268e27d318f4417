/**
 * End-to-end in Chromium: the Labels page exports a line as an MVTec zip (a real browser download) and, as an admin,
 * imports that zip into a new line; the result line shows the counts; a broken upload shows its code. Screenshots
 * under the test artefacts.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { launch, noChromium, screenshot, signIn, until } from './helpers/browser.js';
import { testApp } from './helpers/http.js';
import { seedLine } from './helpers/labels-fixture.js';
import { readZip } from './helpers/zip.js';

test('labels page: export a line, import the zip into a new line', { skip: noChromium, timeout: 120_000 }, async () => {
  const { app, adminPassword } = await testApp();
  const browser = await launch();
  const dir = await mkdtemp(join(tmpdir(), 'lw-labels-ui-'));
  try {
    await seedLine(app, 'line-a', (await app.ctx.store.users.findByName('admin'))!.id);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page, base, 'admin', adminPassword);
    await page.waitForSelector('#stats');
    await page.goto(`${base}/#/labels`);
    await page.waitForSelector('#labels-export');
    await page.fill('#labels-export input[name=line]', 'line-a');
    await page.fill('#labels-export input[name=classes]', 'scratch,deep dent,anomalous');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#labels-export button')]);
    const zipPath = join(dir, 'export.zip');
    await download.saveAs(zipPath);
    assert.match(download.suggestedFilename(), /^labels-line-a-.*\.zip$/);
    const entries = await readZip(await readFile(zipPath));
    assert.equal([...entries.keys()].filter((n) => /^test\/[^/]+\/.+\.jpg$/.test(n)).length, 5);
    await screenshot(page, 'labels-export');

    await page.fill('#labels-import input[name=line]', 'line-copy');
    await page.setInputFiles('#labels-import input[name=file]', zipPath);
    await page.click('#labels-import button');
    await until(page, `/anomalous/.test(document.querySelector('#labels-result').textContent)`, 30_000);
    const result = await page.evaluate<string>(`document.querySelector('#labels-result').textContent`);
    assert.match(result, /^line-copy \(import-[0-9a-f]+\): 5 normal, 5 anomalous \(3 with masks\)/);
    assert.match(result, /new classes: deep dent, scratch/);
    assert.equal(await app.ctx.store.samples.count({ line: 'line-copy' }), 5);
    await screenshot(page, 'labels-import');

    const broken = join(dir, 'broken.zip');
    await writeFile(broken, 'not a zip');
    await page.setInputFiles('#labels-import input[name=file]', broken);
    await page.click('#labels-import button');
    await until(page, `/LW_CTRL_IMPORT_ZIP_INVALID/.test(document.querySelector('#labels-result').textContent)`);
    await screenshot(page, 'labels-import-refused');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
});
