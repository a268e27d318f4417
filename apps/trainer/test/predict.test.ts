/**
 * `predict` with the hand-built package (map = mean |x| over channels, score = max, threshold 0.5): on the perfect
 * dataset normals score 0 and anomalies ≈ 2, so every verdict is known in advance. CSV and JSONL carry the same rows,
 * overlays decode at the image's size; a plain folder and a manifest give unknown / given labels; bad inputs are coded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '@linewatch/vision';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { silentProgress } from '../src/progress.js';
import { CSV_HEADER, csvField, type PredictionRow } from '../src/predict/run.js';
import { Capture, DRAFT, makeFixture, perfectDataset, type Fixture } from './fixtures.js';

let fx: Fixture;
before(async () => {
  fx = makeFixture();
  await perfectDataset(join(fx.dir, 'perfect'));
});
after(() => rmSync(fx.dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: fx.dir });
  return { code, out: stdout.text, err: stderr.text };
}

function readRows(out: string): { csv: string[][]; jsonl: PredictionRow[] } {
  const csvLines = readFileSync(join(out, 'predictions.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(csvLines[0], CSV_HEADER);
  const jsonl = readFileSync(join(out, 'predictions.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as PredictionRow);
  return { csv: csvLines.slice(1).map((l) => l.split(',')), jsonl };
}

test('MVTec folder: scores, verdicts and labels as CSV + JSONL, one overlay per image', async () => {
  const out = join(fx.dir, 'pred-mvtec');
  const r = await cli(['predict', '--model', fx.pkg, '--data', 'perfect', '--out', out, '--key', fx.publicKey]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /signature verified/);
  assert.match(r.out, /7 images: 4 anomalous, 3 ok at threshold 0\.5/);
  assert.match(r.out, /TP 4 {2}FP 0 {2}TN 3 {2}FN 0/);
  const { csv, jsonl } = readRows(out);
  assert.equal(jsonl.length, 7);
  assert.equal(csv.length, 7);
  for (const [i, row] of jsonl.entries()) {
    const normal = row.path.startsWith('test/good/');
    assert.equal(row.label, normal ? 0 : 1, row.path);
    assert.equal(row.threshold, DRAFT.threshold.value);
    assert.equal(row.verdict, normal ? 'ok' : 'anomalous', `${row.path} scored ${row.score}`);
    assert.ok(normal ? row.score === 0 : row.score > 1.5, `${row.path} scored ${row.score}`);
    assert.ok(Math.abs(row.normalized - row.score / row.threshold) < 1e-12);
    assert.deepEqual(csv[i], [
      row.path,
      String(row.score),
      '0.5',
      String(row.normalized),
      row.verdict,
      String(row.label),
      row.overlay,
    ]);
    const png = await decodeImage(new Uint8Array(readFileSync(join(out, row.overlay!))));
    assert.deepEqual([png.width, png.height], [32, 32]);
  }
  assert.equal(readdirSync(join(out, 'overlays')).length, 7);
});

test('a plain folder (labels unknown) and a manifest (labels given); --overlays anomalous / none', async () => {
  const plain = join(fx.dir, 'plain');
  mkdirSync(join(plain, 'a', 'b'), { recursive: true });
  writeFileSync(join(plain, 'a', 'b', 'x,1.png'), readFileSync(join(fx.dir, 'perfect', 'test', 'scratch', '0.png')));
  writeFileSync(join(plain, 'a', 'ok.png'), readFileSync(join(fx.dir, 'perfect', 'test', 'good', '0.png')));
  writeFileSync(join(plain, 'notes.txt'), 'not an image');
  const out1 = join(fx.dir, 'pred-plain');
  const r1 = await cli(['predict', '--model', fx.pkg, '--data', plain, '--out', out1, '--overlays', 'anomalous']);
  assert.equal(r1.code, 0, r1.err);
  assert.doesNotMatch(r1.out, /labelled/);
  const { csv, jsonl } = readRows(out1);
  assert.deepEqual(
    jsonl.map((r) => [r.path, r.label, r.verdict, r.overlay !== null]),
    [
      ['a/b/x,1.png', null, 'anomalous', true],
      ['a/ok.png', null, 'ok', false],
    ],
  );
  assert.equal(csvField('a/b/x,1.png'), '"a/b/x,1.png"');
  assert.equal(csv[1]!.at(-2), '', 'unknown label is an empty CSV field');
  assert.equal(readdirSync(join(out1, 'overlays')).length, 1);

  const manifest = join(fx.dir, 'list.jsonl');
  writeFileSync(
    manifest,
    `${JSON.stringify({ image: 'perfect/test/good/1.png', label: 0 })}\n${JSON.stringify({ image: 'perfect/test/blob/1.png' })}\n`,
  );
  const out2 = join(fx.dir, 'pred-manifest');
  const r2 = await cli(['predict', '--model', fx.pkg, '--data', manifest, '--out', out2, '--overlays', 'none']);
  assert.equal(r2.code, 0, r2.err);
  assert.deepEqual(
    readRows(out2).jsonl.map((r) => [r.path, r.label, r.verdict, r.overlay]),
    [
      ['perfect/test/good/1.png', 0, 'ok', null],
      ['perfect/test/blob/1.png', null, 'anomalous', null],
    ],
  );
  assert.equal(existsSync(join(out2, 'overlays')), false);
});

test('bad package, data and output folders are coded errors', async () => {
  const out = (n: string) => join(fx.dir, `pred-bad-${n}`);
  const notPkg = join(fx.dir, 'not-a-package');
  mkdirSync(notPkg);
  writeFileSync(join(notPkg, 'model.onnx'), 'x');
  const bad = await cli(['predict', '--model', notPkg, '--data', 'perfect', '--out', out('pkg')]);
  assert.equal(bad.code, 3, bad.err);
  assert.match(bad.err, /^error LW_PKG_/);

  const wrongKey = await cli([
    'predict',
    '--model',
    fx.pkg,
    '--data',
    'perfect',
    '--out',
    out('k'),
    '--key',
    fx.otherPublicKey,
  ]);
  assert.equal(wrongKey.code, 3);
  assert.match(wrongKey.err, /^error LW_PKG_BAD_SIGNATURE/);

  const empty = join(fx.dir, 'empty-data');
  mkdirSync(join(empty, 'sub'), { recursive: true });
  writeFileSync(join(empty, 'sub', 'readme.txt'), 'no images here');
  const none = await cli(['predict', '--model', fx.pkg, '--data', empty, '--out', out('empty')]);
  assert.equal(none.code, 2);
  assert.match(none.err, /^error LW_TRAINER_BAD_VALUE: --data .*no images/);
  assert.equal(existsSync(out('empty')), false, 'nothing created before the inputs were checked');

  const missing = await cli(['predict', '--model', fx.pkg, '--data', 'nope', '--out', out('missing')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /LW_TRAINER_BAD_VALUE: --data: no file or folder/);

  const broken = join(fx.dir, 'broken-data');
  mkdirSync(broken);
  writeFileSync(join(broken, 'bad.png'), 'not a png');
  const unreadable = await cli(['predict', '--model', fx.pkg, '--data', broken, '--out', out('broken')]);
  assert.equal(unreadable.code, 3, unreadable.err);
  assert.match(unreadable.err, /LW_DATA_UNREADABLE_IMAGE.*bad\.png/);

  mkdirSync(out('used'));
  writeFileSync(join(out('used'), 'predictions.csv'), 'old');
  const used = await cli(['predict', '--model', fx.pkg, '--data', 'perfect', '--out', out('used')]);
  assert.equal(used.code, 2);
  assert.match(used.err, /LW_TRAINER_EXISTS/);
  assert.equal(readFileSync(join(out('used'), 'predictions.csv'), 'utf8'), 'old');

  const overlays = await cli([
    'predict',
    '--model',
    fx.pkg,
    '--data',
    'perfect',
    '--out',
    out('o'),
    '--overlays',
    'some',
  ]);
  assert.equal(overlays.code, 2);
  assert.match(overlays.err, /LW_TRAINER_BAD_VALUE: --overlays must be one of all, anomalous, none/);
});
