/**
 * A job whose snapshot mixes masked confirmations, image-only confirmations and normals (some marked as rejected
 * false alarms) fine-tunes on all of them in one run, and the uploaded package's manifest counts each kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestEntry } from '@linewatch/datasets';
import { generateSigningKeys, loadPublicKey, verifyPackage } from '@linewatch/model-package';
import { MemoryJobIO, trainParent, writeJobDataset } from '../testing/index.js';
import { decodeParams, PARAMS_FILE } from '../train/package.js';
import { REJECTED_DEFECT_TYPE } from '../train/finetune-plan.js';
import { runJob } from './run-job.js';

/** Drops the mask of every other anomaly and marks the first `rejected` normals as rejected false alarms. */
function mixLabels(trainJsonl: string, rejected: number): void {
  let anomalies = 0;
  let normals = 0;
  const lines = readFileSync(trainJsonl, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const { mask, ...rest } = JSON.parse(l) as ManifestEntry;
      if (rest.label === 1) return anomalies++ % 2 === 0 ? { ...rest, mask } : rest;
      return normals++ < rejected ? { ...rest, defectType: REJECTED_DEFECT_TYPE } : rest;
    });
  writeFileSync(trainJsonl, lines.map((e) => JSON.stringify(e)).join('\n') + '\n');
}

test(
  'a job with masked and image-only confirmations trains on all of them and counts them',
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-worker-mixed-'));
    try {
      const keys = generateSigningKeys(join(dir, 'keys'));
      const parent = await trainParent(dir, keys.privateKeyPath);
      const d = join(dir, 'snapshot');
      const dataset = {
        ...(await writeJobDataset(d, { normal: 16, anomalous: 8 }, { normal: 6, anomalous: 6 })),
        dir: d,
      };
      mixLabels(dataset.train, 3);
      const io = new MemoryJobIO(parent.tar, dataset);
      const job = {
        id: 'job-mixed',
        line: 'line-a',
        parentVersion: 'p',
        datasetSnapshotId: 'snap-mixed',
        targetVersion: 'line-a-job-mixed',
        createdAt: Date.UTC(2027, 0, 1),
        leaseMs: 30_000,
      };
      const opts = { workDir: join(dir, 'work'), privateKeyPath: keys.privateKeyPath, minCalibrationNormals: 7 };
      const outcome = await runJob(job, io, opts);
      assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
      const r = io.calls.find((c) => c.op === 'complete')!.result!;
      const pkg = verifyPackage(r.packageTar, [loadPublicKey(keys.publicKeyPath)]);
      const m = pkg.manifest.metrics;
      // 16 train normals, every 10th by path held for validation: 15 train, 3 of them rejected false alarms.
      assert.deepEqual(
        [m['labelsMasked'], m['labelsImageOnly'], m['labelsNormals'], m['labelsRejected'], m['anomalies']],
        [4, 4, 12, 3, 8],
      );
      assert.equal(decodeParams(pkg.files.get(PARAMS_FILE)!).record.loss, 'mixed');
      assert.ok(m['heldOutImageAuroc'] !== undefined, 'held-out metrics still recorded beside the label counts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
