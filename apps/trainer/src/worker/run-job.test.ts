/**
 * The job pipeline against an in-memory controller on tiny synthetic data: a real tiny-preset parent, a real
 * fine-tune, real held-out scoring; the uploaded tarball must verify and carry what the worker reported.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeys, loadPublicKey, verifyPackage } from '@linewatch/model-package';
import { MemoryJobIO, trainParent, writeJobDataset } from '../testing/index.js';
import { runJob } from './run-job.js';
import { versionFor } from './repackage.js';
import type { ClaimedJob, DatasetOnDisk } from './types.js';

let dir = '';
let keys: ReturnType<typeof generateSigningKeys>;
let parent: { tar: Uint8Array; dir: string };
let dataset: DatasetOnDisk & { dir: string };

const job = (id: string): ClaimedJob => ({
  id,
  line: 'line-a',
  parentVersion: 'p',
  datasetSnapshotId: 'snap-1',
  targetVersion: `line-a-${id}`,
  createdAt: Date.UTC(2027, 0, 1),
  leaseMs: 30_000,
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-worker-'));
  keys = generateSigningKeys(join(dir, 'keys'));
  parent = await trainParent(dir, keys.privateKeyPath);
  const d = join(dir, 'snapshot');
  dataset = { ...(await writeJobDataset(d, { normal: 16, anomalous: 8 }, { normal: 6, anomalous: 6 })), dir: d };
});

after(() => rmSync(dir, { recursive: true, force: true }));

test(
  'a job runs end to end: signed, re-versioned package with held-out metrics for candidate and parent',
  { timeout: 240_000 },
  async () => {
    const io = new MemoryJobIO(parent.tar, dataset);
    const workDir = join(dir, 'work-ok');
    const j = job('job-ok');
    // 6 held-out + 1 validation normal frames: enough only with the minimum lowered (the default refuses: below).
    const small = { workDir, privateKeyPath: keys.privateKeyPath, heartbeatMs: 50, minCalibrationNormals: 7 };
    const outcome = await runJob(j, io, small);
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    const completes = io.calls.filter((c) => c.op === 'complete');
    assert.equal(completes.length, 1);
    assert.equal(io.calls.filter((c) => c.op === 'fail').length, 0);
    const r = completes[0]!.result!;

    const pkg = verifyPackage(r.packageTar, [loadPublicKey(keys.publicKeyPath)]);
    const parentManifest = verifyPackage(parent.dir, [loadPublicKey(keys.publicKeyPath)]).manifest;
    const v = versionFor(j, parentManifest);
    assert.equal(r.version, j.targetVersion, "uploaded under the job's target version");
    assert.equal(pkg.manifest.version, v.version, 'manifest version derived from the job');
    assert.equal(pkg.manifest.build, v.build);
    assert.ok(pkg.manifest.build > parentManifest.build, 'build increases over the parent');
    assert.equal(pkg.manifest.threshold.value, r.threshold);
    assert.ok(r.threshold > 0);
    for (const m of [r.metrics.candidate, r.metrics.parent]) {
      assert.equal(m.n, 12);
      assert.ok(m.imageAuroc !== null && m.imageAuroc >= 0 && m.imageAuroc <= 1);
      assert.ok(m.pixelAuroc !== null && m.pixelAuroc >= 0 && m.pixelAuroc <= 1);
      assert.ok(m.falseAlarmRate !== null && m.falseAlarmRate >= 0 && m.falseAlarmRate <= 1);
    }
    assert.equal(pkg.manifest.metrics['heldOutPixelAuroc'], r.metrics.candidate.pixelAuroc);
    assert.equal(pkg.manifest.metrics['parentHeldOutPixelAuroc'], r.metrics.parent.pixelAuroc);
    // 6 held-out normals: a false-alarm rate is a multiple of 1/6.
    for (const m of [r.metrics.candidate, r.metrics.parent])
      assert.ok(Math.abs(m.falseAlarmRate! * 6 - Math.round(m.falseAlarmRate! * 6)) < 1e-9);
    if (process.env['LW_TEST_LOG']) console.log(JSON.stringify(r.metrics), r.threshold, pkg.manifest.threshold);
    // The threshold comes from every normal frame the candidate did not train on, with its false-alarm interval.
    const cal = r.metrics.calibration!;
    assert.deepEqual([cal.normals, cal.heldOutNormals, cal.validationNormals, cal.minNormals], [7, 6, 1, 7]);
    assert.equal(cal.threshold, r.threshold);
    assert.ok(cal.lo <= cal.falseAlarmRate && cal.falseAlarmRate <= cal.hi && cal.hi > 0.2, JSON.stringify(cal));
    assert.equal(pkg.manifest.threshold.method, 'unseen-normal-q0995');
    assert.equal(pkg.manifest.metrics['calibrationNormals'], 7);
    assert.equal(pkg.manifest.metrics['calibrationFalseAlarmUpper'], cal.hi);
    // Candidate vs parent with intervals, paired on the same 6 + 6 held-out images.
    const cmp = r.metrics.comparison!;
    assert.deepEqual([cmp.anomalous, cmp.normal], [6, 6]);
    assert.equal(cmp.imageAuroc?.candidate, r.metrics.candidate.imageAuroc);
    assert.equal(cmp.imageAuroc?.parent, r.metrics.parent.imageAuroc);
    assert.ok(cmp.imageAuroc!.lo <= cmp.imageAuroc!.diff && cmp.imageAuroc!.diff <= cmp.imageAuroc!.hi);
    assert.equal(cmp.falseAlarm?.candidate.rate, r.metrics.candidate.falseAlarmRate);
    assert.equal(cmp.falseAlarm?.parent.rate, r.metrics.parent.falseAlarmRate);
    // Pixel AUROC with its image-level bootstrap interval, in the metrics and the manifest.
    const px = cmp.pixelAuroc!;
    assert.ok(px, 'the pixel-AUROC interval is reported');
    assert.equal(px.method, 'bootstrap-images');
    assert.deepEqual([px.normal, px.masked, px.resamples], [6, 6, 300]);
    assert.ok(Math.abs(px.candidate - r.metrics.candidate.pixelAuroc!) < 1e-9, `${px.candidate}`);
    assert.ok(Math.abs(px.parent - r.metrics.parent.pixelAuroc!) < 1e-9, `${px.parent}`);
    assert.ok(px.lo <= px.diff && px.diff <= px.hi, JSON.stringify(px));
    assert.equal(pkg.manifest.metrics['heldOutPixelAurocDiffLo'], px.lo);
    assert.equal(pkg.manifest.metrics['heldOutPixelAurocDiffHi'], px.hi);
    assert.equal(pkg.manifest.metrics['pixelBootstrapMaskedImages'], 6);

    // Heartbeats carried every phase in order, and epochs + loss while training.
    const beats = io.calls.filter((c) => c.op === 'heartbeat').map((c) => c.progress!);
    const phases = [...new Set(beats.map((b) => b.phase))];
    assert.deepEqual(phases, ['download', 'features', 'train', 'evaluate', 'package', 'upload']);
    const trainBeat = beats.find((b) => b.phase === 'train' && b.epoch !== null);
    assert.ok(trainBeat, 'a training heartbeat with an epoch');
    assert.ok(trainBeat.epochs! >= trainBeat.epoch! && trainBeat.loss !== null && Number.isFinite(trainBeat.loss));
    assert.ok(beats.some((b) => b.etaS !== null));

    assert.deepEqual(readdirSync(join(workDir, 'jobs')), [], 'job folder removed');

    // Same job again (a re-claim after a lost completion ack): byte-for-byte different tarball (createdAt), same version.
    const again = await runJob(j, io, small);
    assert.equal(again.status, 'completed');
    assert.equal(again.status === 'completed' && again.version, r.version);
  },
);

test(
  'lease lost mid-training: work stops at the next step, nothing uploaded, no failure reported',
  { timeout: 120_000 },
  async () => {
    const io = new MemoryJobIO(parent.tar, dataset);
    io.onHeartbeat = (p) => {
      if (p.phase === 'train') io.leaseLost = true;
    };
    const workDir = join(dir, 'work-lost');
    const outcome = await runJob(job('job-lost'), io, {
      workDir,
      privateKeyPath: keys.privateKeyPath,
      heartbeatMs: 20,
      minCalibrationNormals: 7,
    });
    assert.equal(outcome.status, 'lost', JSON.stringify(outcome));
    assert.equal(io.calls.filter((c) => c.op === 'complete').length, 0);
    assert.equal(
      io.calls.filter((c) => c.op === 'fail').length,
      0,
      'a stale worker does not report on a job it no longer owns',
    );
    const phases = new Set(io.calls.filter((c) => c.op === 'heartbeat').map((c) => c.progress!.phase));
    assert.ok(!phases.has('evaluate') && !phases.has('upload'), `stopped in training, saw ${[...phases].join(',')}`);
    assert.ok(!existsSync(join(workDir, 'jobs', 'job-lost')), 'partial work removed');
  },
);

test('a snapshot with no anomalies fails with a coded reason and uploads nothing', { timeout: 120_000 }, async () => {
  const d = join(dir, 'snapshot-normal');
  const normalOnly = {
    ...(await writeJobDataset(d, { normal: 12, anomalous: 0 }, { normal: 4, anomalous: 2 }, 'n')),
    dir: d,
  };
  const io = new MemoryJobIO(parent.tar, normalOnly);
  const outcome = await runJob(job('job-bad'), io, {
    workDir: join(dir, 'work-bad'),
    privateKeyPath: keys.privateKeyPath,
    heartbeatMs: 50,
    minCalibrationNormals: 5,
  });
  assert.equal(outcome.status, 'failed');
  const fails = io.calls.filter((c) => c.op === 'fail');
  assert.equal(fails.length, 1);
  assert.equal(fails[0]!.failure!.code, 'LW_TRAINER_BAD_VALUE');
  assert.match(fails[0]!.failure!.message, /no anomalous images/);
  assert.equal(io.calls.filter((c) => c.op === 'complete').length, 0);
});

test(
  'too few normal frames to train on: a coded reason that tells QA what to do, before any training',
  { timeout: 60_000 },
  async () => {
    const d = join(dir, 'snapshot-few-normals');
    const few = {
      ...(await writeJobDataset(d, { normal: 6, anomalous: 6 }, { normal: 3, anomalous: 2 }, 'f')),
      dir: d,
    };
    const io = new MemoryJobIO(parent.tar, few);
    const outcome = await runJob(job('job-few'), io, {
      workDir: join(dir, 'work-few'),
      privateKeyPath: keys.privateKeyPath,
      heartbeatMs: 50,
    });
    assert.equal(outcome.status === 'failed' && outcome.code, 'LW_TRAINER_JOB_DATA');
    assert.match(
      io.calls.find((c) => c.op === 'fail')!.failure!.message,
      /6 normal frames .* at least 10: reject more false alarms/,
    );
    assert.ok(!io.calls.some((c) => c.op === 'heartbeat' && c.progress!.phase === 'train'));
  },
);

test(
  'too few normal frames to calibrate on: "not enough normal frames: N of M", coded, before any training',
  { timeout: 60_000 },
  async () => {
    const io = new MemoryJobIO(parent.tar, dataset);
    const outcome = await runJob(job('job-cal'), io, {
      workDir: join(dir, 'work-cal'),
      privateKeyPath: keys.privateKeyPath,
      heartbeatMs: 50,
    });
    assert.equal(outcome.status === 'failed' && outcome.code, 'LW_TRAINER_JOB_DATA');
    assert.match(
      io.calls.find((c) => c.op === 'fail')!.failure!.message,
      /^not enough normal frames: 7 of 50 to calibrate the threshold \(6 held out \+ 1 kept from training\)/,
    );
    assert.ok(!io.calls.some((c) => c.op === 'complete'));
    assert.ok(!io.calls.some((c) => c.op === 'heartbeat' && c.progress!.phase === 'train'));
  },
);

test('a parent signed by another key is refused before any training', { timeout: 60_000 }, async () => {
  const other = generateSigningKeys(join(dir, 'other-keys'));
  const io = new MemoryJobIO(parent.tar, dataset);
  const outcome = await runJob(job('job-key'), io, {
    workDir: join(dir, 'work-key'),
    privateKeyPath: other.privateKeyPath,
    heartbeatMs: 50,
  });
  assert.equal(outcome.status === 'failed' && outcome.code, 'LW_PKG_BAD_SIGNATURE');
  // The package library prefixes its messages with the code; the report beside the code names it once.
  const failure = io.calls.find((c) => c.op === 'fail')!.failure!;
  assert.match(failure.message, /^signature by key \S+ does not verify/);
  assert.ok(!failure.message.includes('LW_PKG_BAD_SIGNATURE'), failure.message);
  assert.ok(!io.calls.some((c) => c.op === 'heartbeat' && c.progress!.phase === 'train'));
});
