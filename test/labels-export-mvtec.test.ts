/**
 * The controller's label export is read by the trainer's MVTec reader (issue 20 item 4): a line's labels exported as
 * a zip and unpacked are listed by @linewatch/datasets loadMvtec — normals under train/good, confirmations under
 * test/<class>, masks where they were painted — and every sample loads with its mask.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { build as buildController, type App } from '@linewatch/controller';
import { isDatasetError, loadMvtec, loadSample, summarize } from '@linewatch/datasets';
import { encodeJpeg, encodeMaskPng } from '@linewatch/vision';

const W = 48;
const H = 32;
const fromBuffer = promisify<Buffer, yauzl.Options, ZipFile>(yauzl.fromBuffer);

/** Writes every entry of the zip below `dir` (directory entries as folders). */
async function unzipTo(bytes: Buffer, dir: string): Promise<void> {
  const zip = await fromBuffer(bytes, { lazyEntries: true });
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (e: Entry) => {
      const path = join(dir, e.fileName);
      if (e.fileName.endsWith('/')) {
        mkdir(path, { recursive: true }).then(() => zip.readEntry(), reject);
        return;
      }
      zip.openReadStream(e, (err, s) => {
        if (err) return reject(err);
        const parts: Buffer[] = [];
        s.on('data', (b: Buffer) => parts.push(b));
        s.on('end', () => {
          mkdir(dirname(path), { recursive: true })
            .then(() => writeFile(path, Buffer.concat(parts)))
            .then(() => zip.readEntry(), reject);
        });
      });
    });
    zip.readEntry();
  });
}

async function frame(seed: number): Promise<Buffer> {
  const data = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 13 + seed * 71) % 256);
  return encodeJpeg({ width: W, height: H, channels: 3, data });
}

/** Confirmations (one classed, masked or not), rejected false alarms and sampled normals on line `l1`. */
async function seed(app: App): Promise<{ masked: number }> {
  const { store, files } = app.ctx;
  const admin = (await store.users.findByName('admin'))!;
  const cls = await store.classes.create({
    id: randomUUID(),
    line: 'l1',
    name: 'crack',
    color: '#ff0000',
    key: '1',
    createdAt: new Date(),
  });
  assert.ok(typeof cls !== 'string');
  const mapRef = await files.put(await encodeMaskPng({ width: W, height: H, data: new Uint8Array(W * H) }));
  const kinds = ['crack+mask', 'crack', 'mask', 'plain', 'rejected', 'rejected'];
  let masked = 0;
  for (const [i, kind] of kinds.entries()) {
    const id = randomUUID();
    const ts = new Date(Date.UTC(2026, 10, 2, 9, i));
    const frameRef = await files.put(await frame(i));
    const row = {
      id,
      deviceId: 'd1',
      sequence: i,
      line: 'l1',
      camera: 'c1',
      ts,
      receivedAt: ts,
      modelVersion: 'm',
      score: 2,
      threshold: 1,
    };
    await store.events.insertOnce({ ...row, frameRef, mapRef, frameWidth: W, frameHeight: H });
    const status = kind === 'rejected' ? 'rejected' : 'confirmed';
    await store.events.label(id, status, admin.id, ts, kind.startsWith('crack') ? cls.id : null);
    if (kind.endsWith('mask')) {
      const data = new Uint8Array(W * H);
      data.fill(1, W * 5 + 3, W * 5 + 20);
      const ref = await files.put(await encodeMaskPng({ width: W, height: H, data }));
      await store.events.saveMask({ eventId: id, ref, width: W, height: H, authorId: admin.id, createdAt: ts });
      masked++;
    }
  }
  for (let i = 0; i < 3; i++) {
    const ts = new Date(Date.UTC(2026, 10, 2, 10, i));
    const frameRef = await files.put(await frame(100 + i));
    await store.samples.insertOnce({
      id: randomUUID(),
      deviceId: 'd1',
      sequence: 100 + i,
      line: 'l1',
      camera: 'c1',
      ts,
      receivedAt: ts,
      modelVersion: 'm',
      score: 0.2,
      threshold: 1,
      frameRef,
      frameWidth: W,
      frameHeight: H,
    });
  }
  return { masked };
}

test('an exported label zip, unpacked, is read by the trainer’s MVTec reader', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lw-export-mvtec-'));
  let adminPassword = '';
  const app = await buildController({
    logger: false,
    overrides: { mqtt: { enabled: false } },
    onBootstrap: (c) => {
      adminPassword = c.password;
    },
  });
  try {
    const { masked } = await seed(app);
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: adminPassword },
    });
    const cookie = login.cookies.find((c) => c.name === 'lw_session')!;
    const res = await app.inject({
      method: 'GET',
      url: '/api/lines/l1/labels/export',
      headers: { cookie: `lw_session=${cookie.value}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    await unzipTo(res.rawPayload, dir);

    const ds = await loadMvtec(dir, { requireMasks: false });
    assert.deepEqual(ds.defectTypes, ['anomalous', 'crack']);
    const counts = summarize(ds);
    assert.deepEqual(counts.train, { good: 5, defective: 0, byDefect: {}, withoutMask: 0 });
    assert.deepEqual(counts.test, { good: 0, defective: 4, byDefect: { anomalous: 2, crack: 2 }, withoutMask: 2 });
    let withPixels = 0;
    for (const s of ds.samples) {
      const loaded = await loadSample(s);
      assert.deepEqual([loaded.image.width, loaded.image.height], [W, H]);
      if (loaded.hasPixelLabels) {
        withPixels++;
        assert.equal(
          loaded.mask.data.reduce((n, v) => n + v, 0),
          17,
          `${s.path}: the painted pixels`,
        );
      }
    }
    assert.equal(withPixels, masked);
    // Image-level labels have no mask file: the strict reader names them instead of inventing empty masks.
    await assert.rejects(loadMvtec(dir), (e: unknown) => isDatasetError(e) && e.code === 'LW_DATA_MISSING_MASK');
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
});
