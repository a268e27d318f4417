/**
 * Labels leave and enter (issue 20 item 4): export a line's labels as an MVTec-layout zip and COCO JSON, import the
 * zip into a new line, export that line again — same counts, classes and mask pixels; COCO RLE masks decode to the
 * same pixels; image-level labels are images without annotations.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { decodeMask } from '@linewatch/vision';
import type { App } from '../src/app.js';
import { decodeRle, type Rle } from '../src/labels-io/rle.js';
import { login, testApp, userSession, type Session } from './helpers/http.js';
import { H, W, seedLine, type Seeded } from './helpers/labels-fixture.js';
import { readZip } from './helpers/zip.js';

let app: App;
let admin: Session;
let qaOther: Session;
let seeded: Seeded;

before(async () => {
  const t = await testApp();
  app = t.app;
  admin = await login(app, 'admin', t.adminPassword);
  qaOther = await userSession(app, admin, 'qa-other', 'qa', ['line-z']);
  const adminId = (await app.ctx.store.users.findByName('admin'))!.id;
  seeded = await seedLine(app, 'line-a', adminId);
  await seedLine(app, 'line-b', adminId); // another line: never in line-a's export
});
after(async () => {
  await app.close();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function exportZip(line: string, query = ''): Promise<Map<string, Buffer>> {
  const res = await app.inject({
    method: 'GET',
    url: `/api/lines/${line}/labels/export${query}`,
    headers: admin.headers,
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/zip');
  assert.match(String(res.headers['content-disposition']), /attachment; filename="labels-/);
  return readZip(res.rawPayload);
}

interface Summary {
  counts: Record<string, number>;
  /** frame sha256 → folder ('train/good', 'test/<class>'). */
  folderOf: Map<string, string>;
  /** frame sha256 → mask pixels (0/1), for images with a mask. */
  maskOf: Map<string, Uint8Array>;
}

async function summarize(entries: Map<string, Buffer>): Promise<Summary> {
  const counts: Record<string, number> = {};
  const folderOf = new Map<string, string>();
  const maskOf = new Map<string, Uint8Array>();
  for (const [name, bytes] of entries) {
    const m = /^(train|test)\/([^/]+)\/(.+)\.jpg$/.exec(name);
    if (!m) continue;
    const folder = `${m[1]}/${m[2]}`;
    counts[folder] = (counts[folder] ?? 0) + 1;
    folderOf.set(sha(bytes), folder);
    const mask = entries.get(`ground_truth/${m[2]}/${m[3]}_mask.png`);
    if (mask) maskOf.set(sha(bytes), (await decodeMask(mask, { expectedSize: { width: W, height: H } })).data);
  }
  counts.masks = maskOf.size;
  return { counts, folderOf, maskOf };
}

test('export: MVTec layout of the reviewed events and sampled normals of one line', async () => {
  const entries = await exportZip('line-a');
  const s = await summarize(entries);
  // Class folders: the class a confirmation names, else the class its mask paints most, else `anomalous`.
  assert.deepEqual(s.counts, {
    'train/good': seeded.rejected.length + seeded.samples.length,
    'test/scratch': 1,
    'test/deep dent': 2,
    'test/anomalous': 2,
    masks: seeded.confirmedWithMask.length,
  });
  for (const id of seeded.confirmedWithMask) {
    const folder = seeded.folderOf.get(id)!;
    assert.ok(entries.has(`test/${folder}/confirmed-${id}.jpg`));
    const mask = entries.get(`ground_truth/${folder}/confirmed-${id}_mask.png`);
    assert.ok(mask, `mask of ${id}`);
    const pixels = (await decodeMask(mask)).data;
    assert.ok(pixels.some((v) => v === 1) && pixels.some((v) => v === 0), 'a binary mask with both values');
  }
  for (const id of seeded.confirmedImageOnly) {
    const folder = seeded.folderOf.get(id)!;
    assert.ok(entries.has(`test/${folder}/confirmed-${id}.jpg`));
    assert.ok(!entries.has(`ground_truth/${folder}/confirmed-${id}_mask.png`), 'image-only: no mask');
  }
  for (const id of seeded.rejected) assert.ok(entries.has(`train/good/rejected-${id}.jpg`));
  for (const id of seeded.samples) assert.ok(entries.has(`train/good/sampled-${id}.jpg`));
  assert.ok(entries.has('test/good/'), 'the empty test/good folder MVTec readers require');
  assert.ok(entries.has('coco.json'));
});

test('export: time range, class filter, newest-normals limit, visibility', async () => {
  // Rows are one minute apart: [tsOf(2), tsOf(5)) holds a rejected event (2), a masked confirmation (3) and the
  // pending event (4, never exported).
  const q = `?from=${seeded.tsOf(2).toISOString()}&to=${seeded.tsOf(5).toISOString()}`;
  const inRange = (await summarize(await exportZip('line-a', q))).counts;
  assert.deepEqual(inRange, { 'train/good': 1, 'test/deep dent': 1, masks: 1 });
  const one = await summarize(await exportZip('line-a', '?classes=scratch&maxNormals=1'));
  assert.deepEqual(one.counts, { 'train/good': seeded.rejected.length + 1, 'test/scratch': 1, masks: 1 });
  const two = await summarize(await exportZip('line-a', '?classes=scratch,anomalous&maxNormals=0'));
  assert.deepEqual(two.counts, {
    'train/good': seeded.rejected.length,
    'test/scratch': 1,
    'test/anomalous': 2,
    masks: 2,
  });
  const hidden = await app.inject({ method: 'GET', url: '/api/lines/line-a/labels/export', headers: qaOther.headers });
  assert.equal(hidden.statusCode, 404);
  assert.equal(hidden.json().code, 'LW_CTRL_NOT_FOUND');
  const backwards = `?from=${seeded.tsOf(4).toISOString()}&to=${seeded.tsOf(2).toISOString()}`;
  const bad = await app.inject({
    method: 'GET',
    url: `/api/lines/line-a/labels/export${backwards}`,
    headers: admin.headers,
  });
  assert.equal(bad.json().code, 'LW_CTRL_VALIDATION');
});

interface Coco {
  categories: Array<{ id: number; name: string }>;
  images: Array<{
    id: number;
    file_name: string;
    width: number;
    height: number;
    attributes: { label: string; class: string | null; masked: boolean };
  }>;
  annotations: Array<{
    image_id: number;
    category_id: number;
    segmentation: Rle;
    area: number;
    bbox: number[];
    iscrowd: number;
  }>;
}

test('export: COCO JSON with RLE masks equal to the MVTec masks; image-level labels as images without annotations', async () => {
  const res = await app.inject({
    method: 'GET',
    url: '/api/lines/line-a/labels/export?format=coco',
    headers: admin.headers,
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const coco = res.json<Coco>();
  const zip = await exportZip('line-a');
  const inZip = JSON.parse(zip.get('coco.json')!.toString('utf8'));
  assert.deepEqual({ ...coco, info: null }, { ...inZip, info: null }, 'the zip carries the same COCO JSON');
  assert.deepEqual(
    coco.categories.map((c) => [c.id, c.name]),
    [
      [1, 'anomalous'],
      [2, 'deep dent'],
      [3, 'scratch'],
    ],
  );
  assert.equal(coco.images.length, 10);
  assert.equal(coco.annotations.length, seeded.confirmedWithMask.length);
  const annotated = new Set(coco.annotations.map((a) => a.image_id));
  const imageOnly = coco.images.filter((i) => i.attributes.label === 'anomalous' && !annotated.has(i.id));
  assert.equal(imageOnly.length, seeded.confirmedImageOnly.length);
  assert.ok(imageOnly.every((i) => i.attributes.masked === false));
  assert.deepEqual(imageOnly.map((i) => i.attributes.class).sort(), ['anomalous', 'deep dent']);
  for (const a of coco.annotations) {
    const image = coco.images.find((i) => i.id === a.image_id)!;
    const maskName = image.file_name.replace(/^test\/([^/]+)\/(.+)\.jpg$/, 'ground_truth/$1/$2_mask.png');
    const expected = (await decodeMask(zip.get(maskName)!)).data;
    assert.deepEqual(a.segmentation.size, [H, W]);
    const category = coco.categories.find((c) => c.id === a.category_id)!;
    assert.equal(image.file_name.split('/')[1], category.name, 'category = class folder');
    const got = decodeRle(a.segmentation).data;
    assert.deepEqual(got, expected, `RLE of ${image.file_name}`);
    assert.equal(
      a.area,
      expected.reduce((n, v) => n + v, 0),
    );
    assert.equal(a.iscrowd, 0);
  }
});

test('round trip: export → import into a new line → the same counts, classes and mask pixels', async () => {
  const first = await exportZip('line-a');
  const zipBytes = await app.inject({ method: 'GET', url: '/api/lines/line-a/labels/export', headers: admin.headers });
  const res = await app.inject({
    method: 'POST',
    url: '/api/lines/line-new/labels/import',
    headers: { ...admin.headers, 'content-type': 'application/zip' },
    payload: zipBytes.rawPayload,
  });
  assert.equal(res.statusCode, 201, res.body);
  const result = res.json();
  assert.equal(result.normals, seeded.rejected.length + seeded.samples.length);
  assert.equal(result.anomalies, seeded.confirmedWithMask.length + seeded.confirmedImageOnly.length);
  assert.equal(result.masks, seeded.confirmedWithMask.length);
  assert.deepEqual(result.classes, { scratch: 1, 'deep dent': 2, anomalous: 2 });
  assert.deepEqual(result.createdClasses, ['deep dent', 'scratch']);
  const classes = await app.ctx.store.classes.list('line-new');
  assert.deepEqual(classes.map((c) => c.name).sort(), ['deep dent', 'scratch']);
  assert.equal(new Set(classes.map((c) => c.color)).size, 2, 'distinct colours');
  assert.deepEqual(result.skipped, ['coco.json']);
  const again = await summarize(await exportZip('line-new'));
  const before = await summarize(first);
  assert.deepEqual(again.counts, before.counts);
  assert.deepEqual(again.folderOf, before.folderOf, 'every frame, byte for byte, in the same class folder');
  assert.deepEqual(again.maskOf, before.maskOf, 'every mask, pixel for pixel');
  // Imported rows are labelled data of the new line: confirmed events (label stats) and normal samples.
  const stats = await app.ctx.store.events.labelStats();
  assert.deepEqual(
    stats.filter((r) => r.line === 'line-new'),
    [{ line: 'line-new', status: 'confirmed', count: 5 }],
  );
  assert.equal(await app.ctx.store.samples.count({ line: 'line-new' }), 5);
  // Importing the same zip again reuses the classes the first import created.
  const twice = await app.inject({
    method: 'POST',
    url: '/api/lines/line-new/labels/import',
    headers: { ...admin.headers, 'content-type': 'application/zip' },
    payload: zipBytes.rawPayload,
  });
  assert.equal(twice.statusCode, 201, twice.body);
  assert.deepEqual(twice.json().createdClasses, []);
  assert.equal((await app.ctx.store.classes.list('line-new')).length, 2);
  assert.equal(await app.ctx.store.samples.count({ line: 'line-new' }), 10);
});
