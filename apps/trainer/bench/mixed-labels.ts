/**
 * `npm run bench:mixed -- [--data <dir>] [--preset cpu] [--from <normal package>] [--out <dir>] [--json <file>]
 *   [--runs mixed,px,img,px-half]`
 *
 * Mixed-label fine-tunes on Magnetic Tile (default ../shared/data/magnetic-tile): the same labelled defects
 * (train/<defect>) given as
 *   - mixed:   half with masks, half as image labels only (`--loss auto`: L_px + L_img in one run),
 *   - px:      all with masks (`--loss auto` = L_px),
 *   - img:     all as image labels only (`--loss auto` = L_img),
 *   - px-half: only the masked half (what `--loss auto` did before it used image labels: the rest dropped).
 * The half is every other image by sorted name within each defect type (so each type is split), the same in every
 * run. Every run fine-tunes from the same normal-only model (trained here, or `--from` an existing package, copied
 * into --out) with the preset's fine-tune schedule, and is evaluated by the CLI's `eval` on the dataset's test split
 * (same held-out images for all; never used for training). The training folders are symlink views of the dataset
 * (train/good, the chosen train/<defect> images and masks), so features come from the cache after the first run.
 * Prints a table (image / pixel AUROC, fine-tune seconds, 1-min load average before and after each run).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createProgress } from '../src/progress.js';
import { runFinetune, runTrain } from '../src/train/pipeline.js';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const RUNS = ['mixed', 'px', 'img', 'px-half'] as const;
type Run = (typeof RUNS)[number];
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(repo, '../shared/data/magnetic-tile') },
    preset: { type: 'string', default: 'cpu' },
    from: { type: 'string' },
    out: { type: 'string', default: join(repo, 'dist', 'bench-mixed') },
    json: { type: 'string' },
    runs: { type: 'string', default: RUNS.join(',') },
  },
});
const data = resolve(args.data!);
const out = resolve(args.out!);
const runs = args.runs!.split(',').map((r) => {
  if (!(RUNS as readonly string[]).includes(r)) throw new Error(`--runs: ${r} is not one of ${RUNS.join(', ')}`);
  return r as Run;
});
const progress = createProgress(process.stderr);
mkdirSync(out, { recursive: true });

/** Which train/<defect> images keep their mask (`masked`) and which join at all (`used`) in a run. */
function labelsOf(run: Run, indexInType: number): { used: boolean; masked: boolean } {
  const firstHalf = indexInType % 2 === 0;
  if (run === 'px') return { used: true, masked: true };
  if (run === 'img') return { used: true, masked: false };
  if (run === 'mixed') return { used: true, masked: firstHalf };
  return { used: firstHalf, masked: firstHalf };
}

/** A symlink view of the dataset's train split with the run's labels; returns its root. */
function trainingView(run: Run): string {
  const root = join(out, 'data', run);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'train'), { recursive: true });
  symlinkSync(join(data, 'train', 'good'), join(root, 'train', 'good'));
  const defects = readdirSync(join(data, 'train')).filter((d) => d !== 'good');
  for (const defect of defects.sort()) {
    const images = readdirSync(join(data, 'train', defect)).sort();
    mkdirSync(join(root, 'train', defect));
    mkdirSync(join(root, 'ground_truth', defect), { recursive: true });
    images.forEach((name, i) => {
      const { used, masked } = labelsOf(run, i);
      if (!used) return;
      symlinkSync(join(data, 'train', defect, name), join(root, 'train', defect, name));
      const mask = `${basename(name).replace(/\.[^.]+$/, '')}_mask.png`;
      if (masked) symlinkSync(join(data, 'ground_truth', defect, mask), join(root, 'ground_truth', defect, mask));
    });
  }
  return root;
}

function evalPackage(name: string): { imageAuroc: number; pixelAuroc: number | null; seconds: number } {
  const file = join(out, `${name}.eval.json`);
  const cli = join(repo, 'apps', 'trainer', 'bin', 'linewatch-trainer.js');
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, 'eval', '--model', join(out, name), '--data', data, '--json', file], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`eval of ${name} failed with status ${r.status}`);
  const j = JSON.parse(readFileSync(file, 'utf8'));
  return { imageAuroc: j.imageAuroc, pixelAuroc: j.pixelAuroc, seconds: (performance.now() - t) / 1000 };
}

const load1 = (): number => Number(loadavg()[0]!.toFixed(2));
const normal = join(out, 'normal');
let normalSeconds: number | null = null;
if (args.from) {
  rmSync(normal, { recursive: true, force: true });
  cpSync(resolve(args.from), normal, { recursive: true });
} else if (!existsSync(join(normal, 'manifest.json'))) {
  const t = performance.now();
  await runTrain(
    { data, preset: args.preset as 'cpu', backbone: { kind: 'nsfwjs' }, out: normal, resume: false },
    progress,
  );
  normalSeconds = (performance.now() - t) / 1000;
}

interface Row {
  run: Run | 'normal';
  labels: Record<string, number> | null;
  imageAuroc: number;
  pixelAuroc: number | null;
  finetuneSeconds: number | null;
  evalSeconds: number;
  load1Before: number;
  load1After: number;
}
const fmt = (v: number | null, d = 4): string => (v === null ? 'n/a' : v.toFixed(d));
/** The table so far; with --json the rows so far too (written after every run, so a stopped bench keeps them). */
function report(rows: readonly Row[]): string {
  if (args.json) {
    const result = { dataset: data, preset: args.preset, from: args.from ?? null, cpus: cpus().length, rows };
    writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  }
  return [
    '| run | masked | image-only | normals | image AUROC | pixel AUROC | fine-tune s | eval s | load1 before → after |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.run} | ${r.labels?.['labelsMasked'] ?? '–'} | ${r.labels?.['labelsImageOnly'] ?? '–'} | ${r.labels?.['labelsNormals'] ?? '–'} | ${fmt(r.imageAuroc)} | ${fmt(r.pixelAuroc)} | ${fmt(r.finetuneSeconds, 0)} | ${fmt(r.evalSeconds, 0)} | ${r.load1Before} → ${r.load1After} |`,
    ),
  ].join('\n');
}

const rows: Row[] = [];
const before = load1();
const base = evalPackage('normal');
rows.push({
  run: 'normal',
  labels: null,
  ...base,
  finetuneSeconds: normalSeconds,
  evalSeconds: base.seconds,
  load1Before: before,
  load1After: load1(),
});
for (const run of runs) {
  const loadBefore = load1();
  rmSync(join(out, run), { recursive: true, force: true });
  const t = performance.now();
  await runFinetune(
    { from: normal, data: trainingView(run), dataKind: 'mvtec', loss: 'auto', out: join(out, run), resume: false },
    progress,
  );
  const finetuneSeconds = (performance.now() - t) / 1000;
  const metrics = JSON.parse(readFileSync(join(out, run, 'manifest.json'), 'utf8')).metrics as Record<string, number>;
  const labels = Object.fromEntries(Object.entries(metrics).filter(([k]) => k.startsWith('labels')));
  const e = evalPackage(run);
  rows.push({
    run,
    labels,
    ...e,
    finetuneSeconds,
    evalSeconds: e.seconds,
    load1Before: loadBefore,
    load1After: load1(),
  });
  progress.log(`${run} done:\n${report(rows)}`);
}
console.log(`\n${report(rows)}`);
