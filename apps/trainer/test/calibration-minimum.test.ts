/**
 * Local train / finetune refuse to calibrate a threshold on too few normal images, like a worker's job: by default
 * (20) a dataset whose validation share holds 1 normal image stops before training with "not enough normal frames:
 * 1 of 20" (LW_TRAINER_TOO_FEW_NORMALS) and writes nothing; --min-calibration-normals sets the minimum (a run with
 * enough images — or one that accepts fewer explicitly — goes ahead: train-controls.test.ts trains with
 * `--min-calibration-normals 1`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, generateSurface } from '@linewatch/vision';
import { generateSigningKeys } from '@linewatch/model-package';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { silentProgress } from '../src/progress.js';
import { checkLocalCalibrationNormals, MIN_LOCAL_CALIBRATION_NORMALS } from '../src/train/calibration-minimum.js';
import { trainParent } from '../src/testing/index.js';
import { Capture } from './fixtures.js';

let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-calib-min-'));
  // 12 normal images: every 10th by path is kept from training → 1 validation image.
  mkdirSync(join(dir, 'data', 'train', 'good'), { recursive: true });
  for (let i = 0; i < 12; i++) {
    const s = generateSurface({ seed: `cm/${i}`, width: 64, height: 64, texture: 'brushed', grayscale: true });
    writeFileSync(join(dir, 'data', 'train', 'good', `${i}.png`), await encodePng(s.image));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: dir });
  return { code, err: stderr.text };
}

test('the minimum itself: below it a coded refusal naming N of M, at it nothing; undefined (library callers) never', () => {
  assert.throws(
    () => checkLocalCalibrationNormals(2, 20, '/d', 0.1),
    (e: unknown) =>
      (e as { code?: string }).code === 'LW_TRAINER_TOO_FEW_NORMALS' &&
      /not enough normal frames: 2 of 20 to calibrate the threshold \(the 10 % of \/d's normal images/.test(
        (e as Error).message,
      ),
  );
  assert.doesNotThrow(() => checkLocalCalibrationNormals(20, 20, '/d', 0.1));
  assert.doesNotThrow(() => checkLocalCalibrationNormals(0, undefined, '/d', 0.1));
  assert.equal(MIN_LOCAL_CALIBRATION_NORMALS, 20);
});

test('train: 1 validation image is refused by default before training, and nothing is written', async () => {
  const r = await cli(['train', '--data', 'data', '--preset', 'tiny', '--out', 'models/few']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /LW_TRAINER_TOO_FEW_NORMALS/);
  assert.match(r.err, /not enough normal frames: 1 of 20 to calibrate the threshold/);
  assert.match(r.err, /--min-calibration-normals 1 to accept it/);
  assert.equal(existsSync(join(dir, 'models', 'few', 'manifest.json')), false, 'no package');
  // The flag sets the minimum: 2 still refuses 1 image (and says so with the new minimum).
  const two = await cli([
    'train',
    '--data',
    'data',
    '--preset',
    'tiny',
    '--out',
    'models/few2',
    '--min-calibration-normals',
    '2',
  ]);
  assert.match(two.err, /not enough normal frames: 1 of 2 /);
  const bad = await cli([
    'train',
    '--data',
    'data',
    '--preset',
    'tiny',
    '--out',
    'models/x',
    '--min-calibration-normals',
    '0',
  ]);
  assert.match(bad.err, /LW_TRAINER_BAD_VALUE/);
});

test('finetune: the same refusal on the data it calibrates on', { timeout: 180_000 }, async () => {
  const keys = generateSigningKeys(join(dir, 'keys'));
  const parent = await trainParent(join(dir, 'parent-run'), keys.privateKeyPath);
  const r = await cli(['finetune', '--from', parent.dir, '--data', 'data', '--loss', 'px', '--out', 'models/ft']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /not enough normal frames: 1 of 20 to calibrate the threshold/);
  assert.equal(existsSync(join(dir, 'models', 'ft', 'manifest.json')), false, 'no package');
});
