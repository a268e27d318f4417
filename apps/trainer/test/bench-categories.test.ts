/**
 * `bench --protocol categories` on two tiny generated MVTec-layout categories (tiny preset): one with masks, one
 * labelled at image level only (pixel figures null with eval's reason), the table as JSON/Markdown/PNG, resume after a
 * lost category result (its trained package reused), given packages (`--models`), and Magnetic Tile from ../shared
 * as one category with small limits.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedData } from '@linewatch/testing';
import { decodeImage, encodeMaskPng, encodePng, generateSurface, type TextureKind } from '@linewatch/vision';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { silentProgress } from '../src/progress.js';
import { Capture } from './fixtures.js';

let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-categories-'));
  await category(join(dir, 'root', 'alpha'), 'brushed', true);
  await category(join(dir, 'root', 'beta'), 'grain', false);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: dir });
  return { code, out: stdout.text, err: stderr.text };
}

async function put(path: string, bytes: Uint8Array): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

/** train/good ×12, test/good ×3, test/stain ×3 (with masks in ground_truth/stain, or none). */
async function category(root: string, texture: TextureKind, masks: boolean): Promise<void> {
  const surface = (seed: string, defect: 'none' | 'stain') =>
    generateSurface({ seed, width: 48, height: 48, texture, defect, grayscale: true });
  for (let i = 0; i < 12; i++)
    await put(join(root, 'train/good', `${i}.png`), await encodePng(surface(`t${i}`, 'none').image));
  for (let i = 0; i < 3; i++) {
    await put(join(root, 'test/good', `${i}.png`), await encodePng(surface(`g${i}`, 'none').image));
    const s = surface(`d${i}`, 'stain');
    await put(join(root, 'test/stain', `${i}.png`), await encodePng(s.image));
    if (masks) await put(join(root, 'ground_truth/stain', `${i}_mask.png`), await encodeMaskPng(s.mask));
  }
}

interface CategoryJson {
  imageAuroc: number | null;
  pixelAuroc: number | null;
  aupro: number | null;
  pixelMetricsReason: string | null;
  model: 'trained' | 'given';
  trainSeconds: number | null;
  counts: { normal: number; anomalous: number; anomalousWithoutMask: number };
}
interface ReportJson {
  perCategory: Record<string, CategoryJson>;
  mean: { imageAuroc: number | null; pixelAuroc: number | null; aupro: number | null };
  resumed: string[];
}
const report = (out: string): ReportJson => JSON.parse(readFileSync(join(dir, out, 'results.json'), 'utf8'));

test(
  'two categories: per-category and mean figures, pixel n/a without masks, resume, given packages',
  { timeout: 240_000 },
  async () => {
    const args = ['bench', '--protocol', 'categories', '--data', 'root', '--out', 'run', '--preset', 'tiny'];
    const first = await cli(args);
    assert.equal(first.code, 0, first.err);
    const r = report('run');
    assert.deepEqual(Object.keys(r.perCategory), ['alpha', 'beta']);
    const { alpha, beta } = r.perCategory as { alpha: CategoryJson; beta: CategoryJson };
    for (const c of [alpha, beta]) {
      assert.ok(c.imageAuroc !== null && c.imageAuroc >= 0 && c.imageAuroc <= 1);
      assert.deepEqual([c.counts.normal, c.counts.anomalous, c.model], [3, 3, 'trained']);
      assert.ok(c.trainSeconds! > 0);
    }
    assert.ok(alpha.pixelAuroc !== null && alpha.aupro !== null && alpha.pixelMetricsReason === null);
    assert.deepEqual([beta.pixelAuroc, beta.aupro], [null, null]);
    assert.match(beta.pixelMetricsReason ?? '', /no masks/);
    assert.equal(r.mean.imageAuroc, (alpha.imageAuroc! + beta.imageAuroc!) / 2);
    assert.equal(r.mean.pixelAuroc, alpha.pixelAuroc, 'the mean is over the categories that have the figure');
    const md = readFileSync(join(dir, 'run', 'results.md'), 'utf8');
    assert.match(md, /\| beta \| [0-9.]+ \| n\/a \| n\/a \|/);
    assert.match(md, /- beta: pixel metrics: no masks/);
    const png = await decodeImage(readFileSync(join(dir, 'run', 'results.png')));
    assert.ok(png.width >= 640);

    // Lost result of beta: alpha comes from the first run, beta is re-evaluated on its first-run package.
    const betaPkg = join(dir, 'run', 'models', 'beta', 'manifest.json');
    const trainedAt = statSync(betaPkg).mtimeMs;
    rmSync(join(dir, 'run', 'results', 'beta.json'));
    const second = await cli(args);
    assert.equal(second.code, 0, second.err);
    const r2 = report('run');
    assert.deepEqual(r2.resumed, ['alpha']);
    assert.equal(statSync(betaPkg).mtimeMs, trainedAt);
    assert.equal(r2.perCategory['beta']!.imageAuroc, beta.imageAuroc);
    assert.equal(r2.perCategory['beta']!.trainSeconds, beta.trainSeconds);

    // Given packages: nothing trains, the figures are the trained run's.
    const given = await cli([...args.slice(0, 6), 'given', '--models', 'run/models', '--categories', 'alpha']);
    assert.equal(given.code, 0, given.err);
    const g = report('given').perCategory['alpha']!;
    assert.deepEqual(
      [g.model, g.trainSeconds, g.imageAuroc, g.pixelAuroc],
      ['given', null, alpha.imageAuroc, alpha.pixelAuroc],
    );

    const unknown = await cli([...args.slice(0, 6), 'x', '--categories', 'gamma']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /LW_TRAINER_BAD_VALUE.*no category "gamma" \(found: alpha, beta\)/);
  },
);

const tile = sharedData('data/magnetic-tile');

test(
  'Magnetic Tile as one category, capped (tiny preset, 40 training images, 6 test images per folder)',
  { skip: tile.skip, timeout: 120_000 },
  async () => {
    const r = await cli([
      'bench',
      '--protocol',
      'categories',
      '--data',
      tile.path(),
      '--out',
      'tile',
      '--preset',
      'tiny',
      '--train-limit',
      '40',
      '--test-limit-per-type',
      '6',
    ]);
    assert.equal(r.code, 0, r.err);
    const c = report('tile').perCategory['magnetic-tile']!;
    assert.deepEqual([c.counts.normal, c.counts.anomalous, c.counts.anomalousWithoutMask], [6, 30, 0]);
    for (const v of [c.imageAuroc, c.pixelAuroc, c.aupro]) assert.ok(v !== null && v >= 0 && v <= 1, String(v));
    assert.equal(c.pixelMetricsReason, null);
  },
);
