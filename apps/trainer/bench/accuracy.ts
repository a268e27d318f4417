/**
 * `npm run bench:accuracy -- [--data <dir>] [--preset cpu] [--backbone nsfwjs|<dir>] [--out <dir>] [--json <file>]
 *   [--epochs N] [--finetune-epochs N]`
 *
 * One run on the Magnetic Tile dev split (default ../shared/data/magnetic-tile): normal-only ADTR, then an L_px
 * fine-tune on train/<defect> masks, an L_img fine-tune with image labels only, and a PatchCore-style kNN baseline
 * over the same backbone features. Each ADTR package is evaluated by the CLI's own `eval` on the test split (the
 * test split is never used for training, thresholds or selection). Packages stay in --out as normal/, px/, img/.
 * `--reuse` evaluates the packages already in --out instead of training (trainSeconds then sums their manifests').
 *
 * Pixel AUROC is at the model's input resolution (the eval's definition; a letterbox's bands cropped off), for the
 * kNN baseline too; `pixelAurocImageRes` is the same with maps stretched to each image's original size.
 *
 * `--epochs` / `--finetune-epochs` shorten a preset's schedules (its decay epoch moves with them, as `train --epochs`
 * does) so a preset sized for a GPU (`paper`) can be measured here at a stated size; the JSON records both.
 *
 * Data labelled at image level only works too (anomalies without masks, as `eval` accepts them): pixel figures are then
 * over the normals and the masked anomalies, or null when none has a mask (`pixelMetricsReason` says which, from eval).
 * With every anomaly masked (Magnetic Tile) the computation is unchanged.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { presetByName } from '@linewatch/adtr';
import { loadMask, loadMvtec } from '@linewatch/datasets';
import { auroc, pixelAuroc } from '@linewatch/metrics';
import { mapToImage } from '@linewatch/vision';
import { pixelsAtInput } from '../src/eval/model.js';
import { createProgress } from '../src/progress.js';
import { resolveBackbone } from '../src/train/backbone.js';
import { fitSettings } from '../src/train/settings.js';
import { holdOut } from '../src/train/data.js';
import { runFinetune, runTrain } from '../src/train/pipeline.js';
import { knnScores } from '../src/protocols/knn.js';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(repo, '../shared/data/magnetic-tile') },
    preset: { type: 'string', default: 'cpu' },
    backbone: { type: 'string', default: 'nsfwjs' },
    out: { type: 'string', default: join(repo, 'dist', 'bench-accuracy') },
    json: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    epochs: { type: 'string' },
    'finetune-epochs': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  const doc = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!;
  console.log(doc.replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
  process.exit(0);
}
/** A positive epoch count from a flag, or undefined when the flag is absent (exit 2 on a bad value, like the CLI). */
function epochsFlag(name: 'epochs' | 'finetune-epochs'): number | undefined {
  const raw = args[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}
const normalEpochs = epochsFlag('epochs');
const finetuneEpochs = epochsFlag('finetune-epochs');
const finetuneSettings = finetuneEpochs === undefined ? {} : { settings: { flags: { epochs: finetuneEpochs } } };
const data = resolve(args.data!);
const out = resolve(args.out!);
const progress = createProgress(process.stderr);
const t0 = performance.now();
mkdirSync(out, { recursive: true });
const backbone =
  args.backbone === 'nsfwjs'
    ? { kind: 'nsfwjs' as const }
    : { kind: 'tfjs-dir' as const, dir: resolve(args.backbone!) };

let trainSeconds: number;
if (args.reuse) {
  const fitSeconds = (name: string): number =>
    JSON.parse(readFileSync(join(out, name, 'manifest.json'), 'utf8')).metrics.trainSeconds as number;
  trainSeconds = fitSeconds('normal') + fitSeconds('px') + fitSeconds('img');
} else {
  for (const name of ['normal', 'px', 'img']) rmSync(join(out, name), { recursive: true, force: true });
  const tTrain = performance.now();
  await runTrain(
    {
      data,
      preset: args.preset as 'cpu',
      backbone,
      out: join(out, 'normal'),
      resume: false,
      ...(normalEpochs === undefined ? {} : { settings: { flags: { epochs: normalEpochs } } }),
    },
    progress,
  );
  for (const loss of ['px', 'img'] as const) {
    const from = join(out, 'normal');
    await runFinetune(
      { from, data, dataKind: 'mvtec', loss, out: join(out, loss), resume: false, ...finetuneSettings },
      progress,
    );
  }
  trainSeconds = (performance.now() - tTrain) / 1000;
}

interface Figures {
  imageAuroc: number;
  /** null when no anomaly has a mask. */
  pixelAuroc: number | null;
  pixelAurocImageRes: number | null;
}

function evalPackage(
  name: string,
): Figures & { aupro: number | null; pixelMetricsReason: string | null; perDefect?: unknown } {
  const file = join(out, `${name}.eval.json`);
  const cli = join(repo, 'apps', 'trainer', 'bin', 'linewatch-trainer.js');
  const r = spawnSync(
    process.execPath,
    [cli, 'eval', '--model', join(out, name), '--data', data, '--json', file, '--report', join(out, `${name}-report`)],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`eval of ${name} failed with status ${r.status}`);
  const j = JSON.parse(readFileSync(file, 'utf8'));
  return {
    imageAuroc: j.imageAuroc,
    pixelAuroc: j.pixelAuroc,
    pixelAurocImageRes: j.imageResolution.pixelAuroc,
    aupro: j.aupro,
    pixelMetricsReason: j.pixelMetricsReason,
    perDefect: j.perDefect,
  };
}

async function knnBaseline(): Promise<Figures & { seconds: number }> {
  const t = performance.now();
  const model = presetByName(args.preset!).model;
  const bb = resolveBackbone(args.backbone === 'nsfwjs' ? 'nsfwjs' : resolve(args.backbone!), model);
  const ds = await loadMvtec(data, { requireMasks: false });
  const normals = holdOut(
    ds.samples.filter((s) => s.split === 'train' && s.label === 0),
    0.1,
  ).train;
  const tests = ds.samples.filter((s) => s.split === 'test');
  const knn = await knnScores(
    normals.map((s) => s.path),
    tests.map((s) => s.path),
    { backbone: bb, model, cacheDir: join(out, '.feature-cache') },
  );
  const fit = fitSettings(model);
  const atInput: { map: Float32Array; mask: Uint8Array }[] = [];
  const atImage: { map: Float32Array; mask: Uint8Array }[] = [];
  for (const [i, s] of tests.entries()) {
    if (s.label === 1 && !s.maskPath) continue; // image label only: no pixel truth (eval does the same)
    const input = knn.inputMaps[i]!;
    const { width, height } = knn.sizes[i]!;
    const mask = s.maskPath
      ? await loadMask(s, { width, height })
      : { width, height, data: new Uint8Array(width * height) };
    atInput.push(pixelsAtInput(input, mask, fit));
    atImage.push({ map: mapToImage(input, width, height, fit).data, mask: mask.data });
  }
  const pix = (rows: typeof atInput): number | null =>
    rows.some((r) => r.mask.includes(1))
      ? pixelAuroc(
          rows.map((r) => r.map),
          rows.map((r) => r.mask),
        )
      : null;
  return {
    imageAuroc: auroc(
      [...knn.scores],
      tests.map((s) => s.label),
    ),
    pixelAuroc: pix(atInput),
    pixelAurocImageRes: pix(atImage),
    seconds: (performance.now() - t) / 1000,
  };
}

/** The epoch count a package was trained with (its manifest's training record). */
function epochsOf(name: string): number {
  return JSON.parse(readFileSync(join(out, name, 'manifest.json'), 'utf8')).training.epochs as number;
}

const result = {
  dataset: data,
  preset: args.preset,
  backbone: args.backbone,
  epochs: { normal: epochsOf('normal'), finetune: epochsOf('px') },
  normal: evalPackage('normal'),
  px: evalPackage('px'),
  img: evalPackage('img'),
  knn: await knnBaseline(),
  trainSeconds,
  ...(args.reuse ? { reused: true } : {}),
  totalSeconds: (performance.now() - t0) / 1000,
};
const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));
const rows = (['normal', 'px', 'img', 'knn'] as const).map(
  (k) =>
    `${k.padEnd(7)} image AUROC ${result[k].imageAuroc.toFixed(4)}  pixel AUROC ${fmt(result[k].pixelAuroc)} (at image resolution ${fmt(result[k].pixelAurocImageRes)})`,
);
if (result.normal.pixelMetricsReason !== null) rows.push(`pixel metrics: ${result.normal.pixelMetricsReason}`);
console.log(`\n${rows.join('\n')}\ntrain ${trainSeconds.toFixed(0)} s, total ${result.totalSeconds.toFixed(0)} s`);
if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
