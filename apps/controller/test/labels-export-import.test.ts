/**
 * Label import refusals (issue 20 item 4): bad layout, a mask without its image, zip-slip names, symbolic links out
 * of the import root, oversize uploads and zip bombs, unreadable images — each a coded error, and nothing of a
 * refused import stays behind (no row, no class, no blob it created). Folder import below labels.importRoot.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectFormat } from '@linewatch/vision';
import type { App } from '../src/app.js';
import { refOf } from '../src/files/file-store.js';
import { login, testApp, userSession, type Session } from './helpers/http.js';
import { distinctJpeg, rectMask } from './helpers/labels-fixture.js';
import { grayPng } from './helpers/png.js';
import { writeZip } from './helpers/zip.js';

let app: App;
let admin: Session;
let qa: Session;
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lw-import-root-'));
  const t = await testApp({ overrides: { labels: { importRoot: root } } });
  app = t.app;
  admin = await login(app, 'admin', t.adminPassword);
  qa = await userSession(app, admin, 'qa1', 'qa', ['line-x']);
});
after(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

const pngImage = (k: number) =>
  grayPng(
    40,
    30,
    new Uint8Array(40 * 30).map((_, i) => (i * k) % 256),
  );

function postZip(target: App, line: string, body: Buffer, s: Session = admin) {
  return target.inject({
    method: 'POST',
    url: `/api/lines/${line}/labels/import`,
    headers: { ...s.headers, 'content-type': 'application/zip' },
    payload: body,
  });
}

async function nothingStored(line: string): Promise<void> {
  const { store } = app.ctx;
  assert.deepEqual(
    (await store.events.labelStats()).filter((r) => r.line === line),
    [],
  );
  assert.equal(await store.samples.count({ line }), 0);
  assert.deepEqual(await store.classes.list(line), []);
}

async function refused(line: string, files: ReadonlyArray<[string, Uint8Array]>, code: string, status = 422) {
  const res = await postZip(app, line, await writeZip(files));
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.json().code, code);
  await nothingStored(line);
  return res.json().message as string;
}

test('import: admin only', async () => {
  const res = await postZip(app, 'line-x', await writeZip([['train/good/a.png', pngImage(1)]]), qa);
  assert.equal(res.statusCode, 403);
  await nothingStored('line-x');
});

test('import: a layout without train/ or test/, a mask without its image, nested class folders', async () => {
  await refused('line-l1', [['images/a.png', pngImage(1)]], 'LW_CTRL_IMPORT_LAYOUT');
  const orphan = await refused(
    'line-l2',
    [
      ['train/good/a.png', pngImage(1)],
      ['test/scratch/b.png', pngImage(2)],
      ['ground_truth/scratch/c_mask.png', rectMask(1)],
    ],
    'LW_CTRL_IMPORT_MASK_ORPHAN',
  );
  assert.match(orphan, /ground_truth\/scratch\/c_mask\.png/);
  await refused('line-l3', [['test/scratch/deeper/b.png', pngImage(2)]], 'LW_CTRL_IMPORT_LAYOUT');
  await refused('line-l4', [['train/good/readme.txt', Buffer.from('no images')]], 'LW_CTRL_IMPORT_LAYOUT');
  await refused(
    'line-l5',
    [
      ['test/scratch/b.png', pngImage(2)],
      ['test/scratch/b.jpg', await distinctJpeg()],
    ],
    'LW_CTRL_IMPORT_LAYOUT',
  );
});

test('import: zip-slip names, absolute names and a non-zip upload are refused', async () => {
  // yazl refuses to write unsafe names, so a safe name of the same length is patched in the finished archive.
  const patch = async (safe: string, evil: string) => {
    const zip = await writeZip([
      ['train/good/a.png', pngImage(1)],
      [safe, pngImage(2)],
    ]);
    const out = Buffer.from(zip.toString('latin1').split(safe).join(evil), 'latin1');
    assert.ok(out.includes(evil), 'patched');
    return out;
  };
  for (const [safe, evil] of [
    ['xx/xx/evil.png', '../../evil.png'],
    ['Zetc/evil.png', '/etc/evil.png'],
    ['train/good/x.png', 'train\\good\\x.png'],
  ] as const) {
    const res = await postZip(app, 'line-s', await patch(safe, evil));
    assert.equal(res.statusCode, 422, `${evil}: ${res.body}`);
    assert.equal(res.json().code, 'LW_CTRL_IMPORT_UNSAFE_PATH', evil);
  }
  const junk = await postZip(app, 'line-s', Buffer.from('PK but not a zip at all, '.repeat(20)));
  assert.equal(junk.json().code, 'LW_CTRL_IMPORT_ZIP_INVALID');
  const wrongType = await app.inject({
    method: 'POST',
    url: '/api/lines/line-s/labels/import',
    headers: { ...admin.headers, 'content-type': 'text/plain' },
    payload: 'train/good/a.png',
  });
  assert.equal(wrongType.statusCode, 415);
  await nothingStored('line-s');
});

test('import: over the upload limit (413 before and while reading), over the unpacked limit (zip bomb)', async () => {
  const small = await testApp({
    overrides: { labels: { maxImportBytes: 4096, maxImportUncompressedBytes: 64 * 1024 } },
  });
  try {
    const s = await login(small.app, 'admin', small.adminPassword);
    const big = await writeZip([['train/good/a.jpg', Buffer.concat([await distinctJpeg(400, 300)])]]);
    assert.ok(big.length > 4096);
    const res = await postZip(small.app, 'line-big', big, s);
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().code, 'LW_CTRL_IMPORT_TOO_LARGE');
    // 1 MB of zeros deflates to about a kilobyte: under the upload limit, far over the unpacked one.
    const bomb = await writeZip([
      ['train/good/a.png', pngImage(1)],
      ['train/good/zeros.png', new Uint8Array(1024 * 1024)],
    ]);
    assert.ok(bomb.length < 4096, `bomb is ${bomb.length} bytes`);
    const res2 = await postZip(small.app, 'line-big', bomb, s);
    assert.equal(res2.statusCode, 413, res2.body);
    assert.equal(res2.json().code, 'LW_CTRL_IMPORT_TOO_LARGE');
    assert.equal(await small.app.ctx.store.samples.count({ line: 'line-big' }), 0);
  } finally {
    await small.app.close();
  }
});

test('import: all or nothing — a bad mask or image late in the import leaves no row, class or new blob', async () => {
  const shared = await distinctJpeg();
  await app.ctx.files.put(shared); // stored before the import (another event's frame): must survive the failure
  const fresh = [await distinctJpeg(), await distinctJpeg()];
  const base: Array<[string, Uint8Array]> = [
    ['train/good/a.jpg', fresh[0]!],
    ['train/good/b.jpg', shared],
    ['test/scratch/c.jpg', fresh[1]!],
  ];
  const mismatch = await refused(
    'line-a1',
    [...base, ['ground_truth/scratch/c_mask.png', rectMask(2, 20, 10)]],
    'LW_CTRL_MASK_SIZE_MISMATCH',
  );
  assert.match(mismatch, /c_mask\.png/);
  await refused(
    'line-a2',
    [...base, ['test/scratch/z.png', Buffer.from('not an image')]],
    'LW_CTRL_IMPORT_IMAGE_INVALID',
  );
  for (const f of fresh) assert.equal(await app.ctx.files.has(refOf(f)), false, 'a blob the import created is gone');
  assert.equal(await app.ctx.files.has(refOf(shared)), true, 'a blob that existed before stays');
});

test('import: a folder below labels.importRoot (one wrapping folder, PNG frames stored as JPEG, junk skipped)', async () => {
  const ds = join(root, 'plant', 'bottle');
  for (const d of ['train/good', 'test/good', 'test/broken large', 'ground_truth/broken large', '__MACOSX'])
    await mkdir(join(ds, d), { recursive: true });
  await writeFile(join(ds, 'train/good/000.png'), pngImage(1));
  await writeFile(join(ds, 'test/good/000.png'), pngImage(2));
  await writeFile(join(ds, 'test/broken large/000.png'), pngImage(3));
  await writeFile(join(ds, 'test/broken large/001.png'), pngImage(4));
  await writeFile(join(ds, 'ground_truth/broken large/000_mask.png'), rectMask(3));
  await writeFile(join(ds, 'license.txt'), 'CC BY-NC-SA');
  await writeFile(join(ds, '__MACOSX/._000.png'), 'resource fork');
  const res = await app.inject({
    method: 'POST',
    url: '/api/lines/line-f/labels/import-folder',
    headers: admin.headers,
    payload: { path: 'plant', camera: 'cam-9' },
  });
  assert.equal(res.statusCode, 201, res.body);
  const r = res.json();
  assert.deepEqual(
    { normals: r.normals, anomalies: r.anomalies, masks: r.masks, classes: r.classes, created: r.createdClasses },
    { normals: 2, anomalies: 2, masks: 1, classes: { 'broken large': 2 }, created: ['broken large'] },
  );
  assert.deepEqual(r.skipped.sort(), ['bottle/__MACOSX/._000.png', 'bottle/license.txt']);
  const events = await app.ctx.store.events.list({ line: 'line-f', limit: 10 });
  assert.equal(events.length, 2);
  for (const e of events) {
    assert.equal(e.camera, 'cam-9');
    assert.equal(e.labelStatus, 'confirmed');
    assert.equal(detectFormat(await app.ctx.files.get(e.frameRef)), 'jpeg');
    assert.deepEqual([e.frameWidth, e.frameHeight], [40, 30]);
  }
});

test('import: folder paths that leave the root, links out of it, and folder import switched off', async () => {
  const outside = await mkdtemp(join(tmpdir(), 'lw-outside-'));
  try {
    await writeFile(join(outside, 'secret.png'), pngImage(5));
    await mkdir(join(root, 'linked/train/good'), { recursive: true });
    await symlink(join(outside, 'secret.png'), join(root, 'linked/train/good/secret.png'));
    await symlink(outside, join(root, 'escape'));
    for (const path of ['linked', 'escape', '../', '/etc', 'a/../../b']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/lines/line-u/labels/import-folder',
        headers: admin.headers,
        payload: { path },
      });
      assert.equal(res.json().code, 'LW_CTRL_IMPORT_UNSAFE_PATH', `${path}: ${res.body}`);
    }
    const missing = await app.inject({
      method: 'POST',
      url: '/api/lines/line-u/labels/import-folder',
      headers: admin.headers,
      payload: { path: 'nothing-here' },
    });
    assert.equal(missing.statusCode, 404);
    await nothingStored('line-u');
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
  const off = await testApp();
  try {
    const s = await login(off.app, 'admin', off.adminPassword);
    const res = await off.app.inject({
      method: 'POST',
      url: '/api/lines/line-u/labels/import-folder',
      headers: s.headers,
      payload: { path: 'plant' },
    });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().code, 'LW_CTRL_IMPORT_ROOT_UNSET');
  } finally {
    await off.app.close();
  }
});
