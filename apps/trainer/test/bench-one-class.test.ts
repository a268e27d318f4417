/**
 * `bench --protocol one-class` end to end on tiny generated data (tiny preset): a folder of classes (three synthetic
 * textures), per-class results and the kNN baseline, JSON + Markdown + PNG, resume after a lost class result (the
 * trained package is reused, the figures come out the same), and a CIFAR-10-format binary folder written by the test
 * (pixels become PNGs in the run folder).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, encodePng, generateSurface, type TextureKind } from '@linewatch/vision';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { silentProgress } from '../src/progress.js';
import { Capture } from './fixtures.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-oneclass-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: dir });
  return { code, out: stdout.text, err: stderr.text };
}

const TEXTURES: readonly TextureKind[] = ['brushed', 'grain', 'noise'];

async function classFolder(root: string, train: number, test: number): Promise<void> {
  for (const texture of TEXTURES) {
    for (const [split, count] of [
      ['train', train],
      ['test', test],
    ] as const) {
      mkdirSync(join(root, split, texture), { recursive: true });
      for (let i = 0; i < count; i++) {
        const { image } = generateSurface({ seed: `${texture}-${split}-${i}`, width: 48, height: 48, texture });
        writeFileSync(join(root, split, texture, `${i}.png`), await encodePng(image));
      }
    }
  }
}

interface ClassJson {
  imageAuroc: number | null;
  trainSeconds: number;
  testImages: number;
  trainImages: number;
  knn: { imageAuroc: number | null } | null;
}
interface ReportJson {
  perClass: Record<string, ClassJson>;
  meanImageAuroc: number | null;
  trainSeconds: number;
  knn: { meanImageAuroc: number | null; perClass: Record<string, { imageAuroc: number | null }> } | null;
  resumed: string[];
  machine: { cpus: number; loadavgStart: number[] };
  settings: { preset: string; trainLimit: number | null; testLimitPerClass: number | null };
}
const report = (out: string): ReportJson => JSON.parse(readFileSync(join(dir, out, 'results.json'), 'utf8'));

test(
  'one-class on a folder of classes: per-class and mean image AUROC, kNN, JSON/Markdown/PNG, resume',
  { timeout: 240_000 },
  async () => {
    await classFolder(join(dir, 'textures'), 12, 4);
    const args = ['bench', '--protocol', 'one-class', '--data', 'textures', '--out', 'run', '--preset', 'tiny'];
    const first = await cli([...args, '--train-limit', '11', '--test-limit-per-class', '3']);
    assert.equal(first.code, 0, first.err);
    const r = report('run');
    assert.deepEqual(Object.keys(r.perClass), TEXTURES);
    for (const [name, c] of Object.entries(r.perClass)) {
      assert.ok(c.imageAuroc !== null && c.imageAuroc >= 0 && c.imageAuroc <= 1, `${name}: ${c.imageAuroc}`);
      assert.equal(c.trainImages, 11); // 10 train, 1 held out to calibrate the threshold
      assert.equal(c.testImages, 9); // 3 per class, all classes
      assert.ok(c.trainSeconds > 0);
      assert.equal(r.knn?.perClass[name]?.imageAuroc, c.knn?.imageAuroc);
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.equal(r.meanImageAuroc, mean(Object.values(r.perClass).map((c) => c.imageAuroc!)));
    // Three different textures are easy for a nearest-neighbour bank of the same backbone's features.
    assert.ok(r.knn!.meanImageAuroc! >= 0.9, `kNN mean ${r.knn!.meanImageAuroc}`);
    assert.equal(r.machine.cpus > 0 && r.machine.loadavgStart.length, 3);
    assert.deepEqual([r.settings.preset, r.settings.trainLimit, r.settings.testLimitPerClass], ['tiny', 11, 3]);
    const md = readFileSync(join(dir, 'run', 'results.md'), 'utf8');
    for (const name of [...TEXTURES, '**mean**', 'kNN image AUROC']) assert.ok(md.includes(name), name);
    assert.ok(first.out.includes('| **mean** |'), 'the table is printed');
    const png = await decodeImage(readFileSync(join(dir, 'run', 'results.png')));
    assert.ok(png.width >= 640 && png.height > 300);

    // A lost class result: the rerun takes the others from the first run and re-evaluates only that class, with the
    // package trained the first time (not trained again), so its figures are the same.
    const pkgManifest = join(dir, 'run', 'models', 'grain', 'manifest.json');
    const trainedAt = statSync(pkgManifest).mtimeMs;
    rmSync(join(dir, 'run', 'results', 'grain.json'));
    const second = await cli([...args, '--train-limit', '11', '--test-limit-per-class', '3']);
    assert.equal(second.code, 0, second.err);
    const r2 = report('run');
    assert.deepEqual(r2.resumed, ['brushed', 'noise']);
    assert.equal(statSync(pkgManifest).mtimeMs, trainedAt);
    assert.deepEqual(r2.perClass['grain']!.imageAuroc, r.perClass['grain']!.imageAuroc);
    assert.equal(r2.perClass['grain']!.knn!.imageAuroc, r.perClass['grain']!.knn!.imageAuroc);

    // A subset of the classes is the same run: its finished classes are taken as they are.
    const subset = await cli([...args, '--train-limit', '11', '--test-limit-per-class', '3', '--classes', 'brushed']);
    assert.equal(subset.code, 0, subset.err);
    assert.deepEqual(report('run').resumed, ['brushed']);

    // Other settings are another run: nothing is taken from the stored results.
    const third = await cli([
      ...args,
      '--train-limit',
      '10',
      '--test-limit-per-class',
      '3',
      '--classes',
      'Noise',
      '--no-knn',
    ]);
    assert.equal(third.code, 0, third.err);
    const r3 = report('run');
    assert.deepEqual([Object.keys(r3.perClass), r3.resumed, r3.knn], [['noise'], [], null]);
    assert.equal(r3.perClass['noise']!.trainImages, 10);
  },
);

/** CIFAR-10 records: class 0 dark, class 1 bright (with a little per-image texture). */
function cifarBatch(labels: readonly number[]): Buffer {
  return Buffer.concat(
    labels.map((label, i) => {
      const r = Buffer.alloc(3073);
      r[0] = label;
      for (let p = 1; p < 3073; p++) r[p] = (label === 0 ? 30 : 200) + ((p * 7 + i * 13) % 40);
      return r;
    }),
  );
}

test(
  'one-class on CIFAR-10 binary batches: pixels written as PNGs once, one class run',
  { timeout: 120_000 },
  async () => {
    const cifar = join(dir, 'cifar-10-batches-bin');
    mkdirSync(cifar, { recursive: true });
    for (let b = 1; b <= 5; b++)
      writeFileSync(join(cifar, `data_batch_${b}.bin`), cifarBatch([0, 1, 0, 1, 0, 1, 0, 1]));
    writeFileSync(join(cifar, 'test_batch.bin'), cifarBatch([0, 1, 0, 1, 0, 1]));
    writeFileSync(join(cifar, 'batches.meta.txt'), 'dark\nbright\n');
    const r = await cli([
      'bench',
      '--protocol',
      'one-class',
      '--data',
      cifar,
      '--out',
      'cifar-run',
      '--preset',
      'tiny',
      '--classes',
      'dark',
      '--train-limit',
      '12',
    ]);
    assert.equal(r.code, 0, r.err);
    const j = report('cifar-run');
    assert.deepEqual(Object.keys(j.perClass), ['dark']);
    assert.equal(j.perClass['dark']!.trainImages, 12);
    assert.equal(j.perClass['dark']!.testImages, 6);
    assert.equal(j.knn!.perClass['dark']!.imageAuroc, 1); // dark vs bright
    assert.ok(existsSync(join(dir, 'cifar-run', 'work', 'images', 'train', 'dark', '0.png')));
    assert.ok(existsSync(join(dir, 'cifar-run', 'work', 'images', 'test', 'bright', '1.png')));

    // Schedule overrides reach every class's training as `train --epochs` does, and make it another run.
    const base = ['bench', '--protocol', 'one-class', '--data', cifar, '--out', 'cifar-run', '--preset', 'tiny'];
    const short = await cli([...base, '--classes', 'dark', '--train-limit', '12', '--epochs', '2', '--seed', '5']);
    assert.equal(short.code, 0, short.err);
    const js = report('cifar-run');
    assert.deepEqual(js.resumed, []);
    assert.deepEqual((js.settings as unknown as { overrides: unknown }).overrides, { epochs: 2, seed: 5 });
    const training = JSON.parse(readFileSync(join(dir, 'cifar-run', 'models', 'dark', 'manifest.json'), 'utf8'))
      .training as { epochs: number; seed: number; sources: Record<string, string> };
    assert.deepEqual([training.epochs, training.seed, training.sources['epochs']], [2, 5, 'flag']);
    const zero = await cli([...base, '--classes', 'dark', '--epochs', '0']);
    assert.equal(zero.code, 2);
    assert.match(zero.err, /LW_TRAINER_BAD_VALUE.*--epochs "0"/);

    const bad = await cli(['bench', '--protocol', 'one-class', '--data', cifar, '--out', 'x', '--classes', 'cat']);
    assert.equal(bad.code, 3);
    assert.match(bad.err, /LW_DATA_BAD_ARGUMENT.*unknown class "cat"/);
    const wrong = await cli(['bench', '--protocol', 'one-class', '--data', cifar, '--out', 'x', '--categories', 'a']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /LW_TRAINER_BAD_VALUE.*--categories does not apply/);
  },
);
