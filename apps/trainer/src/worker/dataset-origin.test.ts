/**
 * A normal's origin reaches the fine-tune's manifest: the controller says which normals are rejected false alarms
 * and which are sampled normal frames (`origin`), and the worker writes the rejected ones with REJECTED_DEFECT_TYPE
 * (what the package manifest's `labelsRejected` counts) and the sampled ones as plain normals (`labelsNormals`).
 * Before, every normal from a job was a plain normal, so a job's package reported 0 rejected false alarms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestEntry } from '@linewatch/datasets';
import type { DatasetItem } from '@linewatch/protocol/http';
import { FakeController, writeJobDataset } from '../testing/index.js';
import { REJECTED_DEFECT_TYPE } from '../train/finetune-plan.js';
import { ControllerClient } from './controller-client.js';
import { manifestEntry } from './dataset-entry.js';

const item = (over: Partial<DatasetItem>): DatasetItem => ({
  id: 'e1',
  imageUrl: '/i',
  maskUrl: null,
  label: 0,
  kind: 'normal',
  split: 'train',
  line: 'line-a',
  camera: 'cam-1',
  width: 8,
  height: 8,
  imageSha256: 'a'.repeat(64),
  maskSha256: null,
  ...over,
});

test('manifest entry: a rejected normal is marked rejected; sampled or origin-less normals are plain normals', () => {
  assert.equal(manifestEntry(item({ origin: 'rejected' }), 'f.jpg', undefined).defectType, REJECTED_DEFECT_TYPE);
  assert.equal(manifestEntry(item({ origin: 'sampled-normal' }), 'f.jpg', undefined).defectType, undefined);
  assert.equal(manifestEntry(item({}), 'f.jpg', undefined).defectType, undefined, 'older controller: no origin');
  const px = manifestEntry(item({ label: 1, kind: 'px', origin: 'confirmed-mask' }), 'f.jpg', 'm.png');
  assert.deepEqual(px, {
    image: 'f.jpg',
    mask: 'm.png',
    label: 1,
    defectType: 'px',
    lineId: 'line-a',
    cameraId: 'cam-1',
  });
  const classed = item({ label: 1, kind: 'img', origin: 'confirmed-image', defectClass: 'scratch' });
  assert.equal(manifestEntry(classed, 'f.jpg', undefined).defectType, 'scratch', 'the class groups the eval');
});

const readEntries = (path: string): ManifestEntry[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ManifestEntry);

test(
  'over HTTP: the job dataset the worker writes marks exactly the rejected normals',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-worker-origin-'));
    try {
      const src = join(dir, 'snapshot');
      const dataset = await writeJobDataset(src, { normal: 6, anomalous: 2 }, { normal: 3, anomalous: 2 });
      // Mark two train normals and one held-out normal as rejected false alarms (the controller's origin for them).
      for (const [path, n] of [
        [dataset.train, 2],
        [dataset.heldOut, 1],
      ] as const) {
        let marked = 0;
        const entries = readEntries(path).map((e) =>
          e.label === 0 && marked++ < n ? { ...e, defectType: REJECTED_DEFECT_TYPE } : e,
        );
        writeFileSync(path, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      }
      const f = await FakeController.start({ token: 't', leaseMs: 10_000, parentTar: new Uint8Array(1), dataset });
      try {
        f.addJob('job-o');
        const client = new ControllerClient({ baseUrl: f.baseUrl, token: 't', workerId: 'w-o' });
        const job = await client.claim();
        assert.ok(job, 'claimed');
        const out = join(dir, 'work');
        mkdirSync(out);
        const got = await client.fetchDataset(job, out);
        const count = (path: string) => {
          const normals = readEntries(path).filter((e) => e.label === 0);
          const rejected = normals.filter((e) => e.defectType === REJECTED_DEFECT_TYPE).length;
          return { rejected, sampled: normals.length - rejected };
        };
        assert.deepEqual(count(got.train), { rejected: 2, sampled: 4 });
        assert.deepEqual(count(got.heldOut), { rejected: 1, sampled: 2 });
        client.release(job);
        assert.deepEqual(f.violations, [], 'every request and answer matched the protocol schemas');
      } finally {
        await f.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
