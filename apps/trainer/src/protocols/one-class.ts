/**
 * The one-class protocol (the ADTR paper's CIFAR-10 setting): for each chosen class, train on that class's training
 * images only, test on every test image with that class normal and all others anomalous, and report image AUROC per
 * class and the mean; beside it the kNN baseline over the same backbone features (./knn.ts). Classes run one after
 * another; each class's result is written as soon as it is finished and a rerun skips finished classes.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openClassDataset, type ClassDataset } from '@linewatch/datasets';
import { auroc } from '@linewatch/metrics';
import type { Progress } from '../progress.js';
import { holdOut } from '../train/data.js';
import type { BackboneChoice, Preset } from '../train/options.js';
import { evalPackage } from './eval-package.js';
import { knnScores } from './knn.js';
import {
  prepareOneClassImages,
  writeClassManifests,
  type OneClassImages,
  type OneClassSelection,
} from './one-class-data.js';
import { ResultStore, itemSlug } from './result-store.js';
import { runProgress } from './run-progress.js';
import { machineLoad, meanOf, writeTable, type ResultTable } from './table.js';
import type { SettingsRequest } from '../train/overrides.js';
import { packageBackbone, trainOrReuse } from './train-step.js';

export interface OneClassOptions {
  /** A dataset of classes: folder, CIFAR-10 binary folder, IDX folder, or `fashion-mnist`. */
  readonly data: string;
  /** Run folder (absolute): models/, evals/, results/, work files, and results.{json,md,png}. */
  readonly out: string;
  readonly selection: OneClassSelection;
  readonly preset: Preset;
  readonly backbone: BackboneChoice;
  readonly privateKeyPath?: string;
  /** Also run the kNN baseline (default true). */
  readonly knn?: boolean;
  readonly threads?: number;
  /** Overrides of the preset's schedule for every class's training (recorded in the settings, so resume keys differ). */
  readonly settings?: SettingsRequest;
}

export interface ClassResult {
  readonly imageAuroc: number | null;
  /** Image AUROC of this normal class against each other class alone. */
  readonly perAnomalyClass: Readonly<Record<string, number | null>>;
  readonly trainSeconds: number;
  readonly evalSeconds: number;
  readonly trainImages: number;
  readonly testImages: number;
  readonly knn: { readonly imageAuroc: number | null; readonly seconds: number } | null;
}

export interface OneClassReport {
  readonly protocol: 'one-class';
  readonly dataset: { readonly spec: string; readonly kind: ClassDataset['kind']; readonly root: string };
  readonly settings: ReturnType<typeof runSettings>;
  readonly perClass: Readonly<Record<string, ClassResult>>;
  readonly meanImageAuroc: number | null;
  /** Training wall time summed over the classes (features included). */
  readonly trainSeconds: number;
  readonly knn: {
    readonly meanImageAuroc: number | null;
    readonly perClass: Record<string, { imageAuroc: number | null }>;
  } | null;
  /** Classes whose results came from an earlier run of the same settings. */
  readonly resumed: readonly string[];
  readonly machine: ReturnType<typeof machineLoad>;
  readonly totalSeconds: number;
}

function backboneName(b: BackboneChoice): string {
  if (b.kind === 'nsfwjs') return b.model ? `nsfwjs:${b.model}` : 'nsfwjs';
  return b.kind === 'onnx' ? `onnx:${b.path}` : b.dir;
}

function runSettings(opts: OneClassOptions, ds: ClassDataset, chosen: readonly string[]) {
  return {
    preset: opts.preset,
    backbone: backboneName(opts.backbone),
    classes: [...chosen],
    trainLimit: opts.selection.trainLimit ?? null,
    testLimitPerClass: opts.selection.testLimitPerClass ?? null,
    knn: opts.knn ?? true,
    dataset: ds.root,
    ...(opts.settings ? { overrides: { ...opts.settings.config, ...opts.settings.flags } } : {}),
  };
}

async function runClass(
  name: string,
  images: OneClassImages,
  opts: OneClassOptions,
  trained: ResultStore<{ trainSeconds: number }>,
  progress: Progress,
): Promise<ClassResult> {
  const manifests = await writeClassManifests(images, name);
  const slug = itemSlug(name);
  const model = await trainOrReuse(
    name,
    {
      data: manifests.train,
      out: join(opts.out, 'models', slug),
      preset: opts.preset,
      backbone: opts.backbone,
      ...extras(opts),
    },
    trained,
    progress,
  );
  const tEval = performance.now();
  const ev = await evalPackage(
    { model: model.packageDir, data: manifests.test, json: join(opts.out, 'evals', `${slug}.json`), ...threads(opts) },
    progress,
    opts.out,
  );
  const evalSeconds = (performance.now() - tEval) / 1000;
  const perAnomalyClass = Object.fromEntries(Object.entries(ev.perDefect).map(([k, m]) => [k, m.imageAuroc]));
  return {
    imageAuroc: ev.imageAuroc,
    perAnomalyClass,
    trainSeconds: model.trainSeconds,
    evalSeconds,
    trainImages: images.train.get(name)?.length ?? 0,
    testImages: images.test.length,
    knn: opts.knn === false ? null : await knnForClass(name, images, model.packageDir, opts, progress),
  };
}

const extras = (opts: OneClassOptions) => ({
  ...(opts.privateKeyPath ? { privateKeyPath: opts.privateKeyPath } : {}),
  ...(opts.settings ? { settings: opts.settings } : {}),
  ...threads(opts),
});
const threads = (opts: OneClassOptions) => (opts.threads !== undefined ? { threads: opts.threads } : {});

/** kNN over the features of the package's own backbone and taps; the bank is the normals training used. */
async function knnForClass(
  name: string,
  images: OneClassImages,
  packageDir: string,
  opts: OneClassOptions,
  progress: Progress,
): Promise<{ imageAuroc: number | null; seconds: number }> {
  const t0 = performance.now();
  const { record, backbone } = await packageBackbone(packageDir);
  const bank = holdOut(images.train.get(name) ?? [], 0.1).train.map((f) => f.path);
  const knn = await knnScores(
    bank,
    images.test.map((f) => f.path),
    { backbone, model: record.model, cacheDir: join(opts.out, 'models', '.feature-cache'), progress, ...threads(opts) },
  );
  const labels = images.test.map((f) => (f.className === name ? 0 : 1));
  const imageAuroc = labels.includes(0) && labels.includes(1) ? auroc([...knn.scores], labels) : null;
  return { imageAuroc, seconds: (performance.now() - t0) / 1000 };
}

/** `--classes` names as the dataset spells them; also accepted: any case, or the file-safe slug (`T-shirt-top`). */
function matchClasses(ds: ClassDataset, wanted: readonly string[] | undefined): { classes?: string[] } {
  if (!wanted) return {};
  const key = (n: string): string => itemSlug(n).toLowerCase();
  return {
    classes: wanted.map((n) => ds.classes.find((c) => c === n) ?? ds.classes.find((c) => key(c) === key(n)) ?? n),
  };
}

export async function runOneClass(
  opts: OneClassOptions,
  progress: Progress,
): Promise<{ report: OneClassReport; files: string[] }> {
  const t0 = performance.now();
  const load0 = loadavg();
  const ds = await openClassDataset(opts.data);
  const selection = { ...opts.selection, ...matchClasses(ds, opts.selection.classes) };
  const images = await prepareOneClassImages(ds, join(opts.out, 'work'), selection, progress);
  const settings = runSettings(opts, ds, images.chosen);
  // A class's result does not depend on which other classes run (its test set is every class's), so picking fewer
  // or more classes keeps the finished ones.
  const storeKey = { ...settings, classes: undefined };
  const results = new ResultStore<ClassResult>(join(opts.out, 'results'), storeKey);
  const trained = new ResultStore<{ trainSeconds: number }>(join(opts.out, 'trained'), storeKey);
  const run = runProgress(progress, images.chosen.length, 'one-class');
  const perClass: Record<string, ClassResult> = {};
  const resumed: string[] = [];
  for (const name of images.chosen) {
    const earlier = results.get(name);
    if (earlier) resumed.push(name);
    const r = earlier ?? (await runClass(name, images, opts, trained, run.item(name)));
    if (!earlier) results.put(name, r);
    perClass[name] = r;
    run.finish(
      name,
      `${earlier ? 'from an earlier run: ' : ''}image AUROC ${fmt(r.imageAuroc)}, kNN ${fmt(r.knn?.imageAuroc ?? null)}`,
    );
  }
  run.done();
  const report = oneClassReport(opts, ds, settings, perClass, resumed, load0, t0);
  const files = await writeTable(opts.out, 'results', oneClassTable(report), report);
  return { report, files };
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));

function oneClassReport(
  opts: OneClassOptions,
  ds: ClassDataset,
  settings: OneClassReport['settings'],
  perClass: Record<string, ClassResult>,
  resumed: string[],
  load0: number[],
  t0: number,
): OneClassReport {
  const rows = Object.values(perClass);
  const knnPer = Object.fromEntries(
    Object.entries(perClass).map(([k, r]) => [k, { imageAuroc: r.knn?.imageAuroc ?? null }]),
  );
  return {
    protocol: 'one-class',
    dataset: { spec: opts.data, kind: ds.kind, root: ds.root },
    settings,
    perClass,
    meanImageAuroc: meanOf(rows.map((r) => r.imageAuroc)),
    trainSeconds: rows.reduce((a, r) => a + r.trainSeconds, 0),
    knn: settings.knn ? { meanImageAuroc: meanOf(rows.map((r) => r.knn?.imageAuroc)), perClass: knnPer } : null,
    resumed,
    machine: machineLoad(load0),
    totalSeconds: (performance.now() - t0) / 1000,
  };
}

export function oneClassTable(r: OneClassReport): ResultTable {
  const s = r.settings;
  return {
    title: `One-class image AUROC — ${r.dataset.spec} (preset ${s.preset}, backbone ${s.backbone})`,
    columns: [
      { key: 'adtr', label: 'ADTR image AUROC', chart: true },
      ...(r.knn ? [{ key: 'knn', label: 'kNN image AUROC', chart: true }] : []),
      { key: 'train', label: 'train images' },
      { key: 'trainSeconds', label: 'train s' },
    ],
    rows: Object.entries(r.perClass).map(([name, c]) => ({
      name,
      values: {
        adtr: c.imageAuroc,
        knn: c.knn?.imageAuroc ?? null,
        train: c.trainImages,
        trainSeconds: Math.round(c.trainSeconds),
      },
    })),
    footer: [
      `Test images per run: ${Object.values(r.perClass)[0]?.testImages ?? 0} (test limit per class: ${s.testLimitPerClass ?? 'none'}; train limit: ${s.trainLimit ?? 'none'}).`,
      `Training ${Math.round(r.trainSeconds)} s in all, run ${Math.round(r.totalSeconds)} s; ${r.machine.cpus} CPUs, load average ${r.machine.loadavgStart.join(' ')} at the start, ${r.machine.loadavgEnd.join(' ')} at the end.`,
      ...(r.resumed.length ? [`From an earlier run: ${r.resumed.join(', ')}.`] : []),
    ],
  };
}
