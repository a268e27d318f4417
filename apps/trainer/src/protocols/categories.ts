/**
 * Multi-category runs over a root of MVTec-layout categories (MVTec AD, VisA in its MVTec-format split, or any folder
 * of such categories; a root that is itself one category runs as one): per category train a model with the trainer's
 * `runTrain` (or take the given package `<models>/<category>`), evaluate it with the CLI's own `eval`, and write the
 * table — per category and mean image AUROC, pixel AUROC, AUPRO; pixel figures null with eval's reason where masks
 * are missing. Categories run in sequence; each result is written when it is finished and a rerun skips it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { loadMvtec, type MvtecSample } from '@linewatch/datasets';
import { TrainerError } from '../errors.js';
import type { Progress } from '../progress.js';
import type { BackboneChoice, Preset } from '../train/options.js';
import { evalPackage } from './eval-package.js';
import { linkInto, writeLinkedManifest } from './linked-data.js';
import { ResultStore, itemSlug } from './result-store.js';
import { runProgress } from './run-progress.js';
import { machineLoad, meanOf, writeTable, type ResultTable } from './table.js';
import type { SettingsRequest } from '../train/overrides.js';
import { trainOrReuse } from './train-step.js';

export interface CategoriesOptions {
  /** Folder of categories (each an MVTec-layout folder), or one category. */
  readonly root: string;
  readonly out: string;
  /** Category names to run (default all found). */
  readonly categories?: readonly string[];
  /** Folder of packages `<models>/<category>` to evaluate instead of training. */
  readonly models?: string;
  readonly preset: Preset;
  readonly backbone: BackboneChoice;
  readonly privateKeyPath?: string;
  /** Public keys: given packages' signatures are verified (else their digests only). */
  readonly keys?: readonly string[];
  /** Normal training images per category (the first by name; default all). */
  readonly trainLimit?: number;
  /** Test images per test folder (good and each defect type; default all). */
  readonly testLimitPerType?: number;
  readonly threads?: number;
  /** Overrides of the preset's schedule for every category's training (part of the settings a rerun must match). */
  readonly settings?: SettingsRequest;
}

export interface CategoryResult {
  readonly imageAuroc: number | null;
  readonly pixelAuroc: number | null;
  readonly aupro: number | null;
  readonly pixelMetricsReason: string | null;
  readonly model: 'trained' | 'given';
  /** null for a given package. */
  readonly trainSeconds: number | null;
  readonly evalSeconds: number;
  readonly counts: { readonly normal: number; readonly anomalous: number; readonly anomalousWithoutMask: number };
}

const isDir = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** Categories under `root` (folders with a `test` folder), or `root` itself when it is one. */
export function findCategories(root: string): Map<string, string> {
  if (isDir(join(root, 'test'))) return new Map([[basename(resolve(root)), resolve(root)]]);
  const found = readdirSync(root)
    .filter((n) => !n.startsWith('.') && isDir(join(root, n, 'test')))
    .sort();
  if (found.length === 0) {
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      `--data ${root}: no MVTec-layout category (a folder with test/) there`,
      {
        path: root,
      },
    );
  }
  return new Map(found.map((n) => [n, resolve(root, n)]));
}

function pickCategories(all: Map<string, string>, wanted: readonly string[] | undefined): [string, string][] {
  if (!wanted) return [...all];
  return wanted.map((n) => {
    const dir = all.get(n);
    if (!dir) {
      throw new TrainerError(
        'LW_TRAINER_BAD_VALUE',
        `--categories: no category "${n}" (found: ${[...all.keys()].join(', ')})`,
        {
          flag: 'categories',
          value: n,
        },
      );
    }
    return [n, dir];
  });
}

/** The first `limit` of each group (by path), in path order. */
function firstPerGroup(samples: readonly MvtecSample[], limit: number): MvtecSample[] {
  const taken = new Map<string, number>();
  return [...samples]
    .sort((a, b) => a.path.localeCompare(b.path))
    .filter((s) => {
      const n = taken.get(s.defectType) ?? 0;
      taken.set(s.defectType, n + 1);
      return n < limit;
    });
}

/** The data `train` and `eval` read: the category folder, or capped manifests over a link to it. */
async function categoryData(
  name: string,
  dir: string,
  opts: CategoriesOptions,
): Promise<{ train: string; test: string }> {
  if (opts.trainLimit === undefined && opts.testLimitPerType === undefined) return { train: dir, test: dir };
  const work = join(opts.out, 'work');
  const slug = itemSlug(name);
  const link = linkInto(work, slug, dir);
  const ds = await loadMvtec(link, { requireMasks: false });
  const normals = ds.samples.filter((s) => s.split === 'train' && s.label === 0);
  const train = firstPerGroup(normals, opts.trainLimit ?? Infinity);
  const test = firstPerGroup(
    ds.samples.filter((s) => s.split === 'test'),
    opts.testLimitPerType ?? Infinity,
  );
  return {
    train: await writeLinkedManifest(join(work, `${slug}.train.jsonl`), slug, link, train),
    test: await writeLinkedManifest(join(work, `${slug}.test.jsonl`), slug, link, test),
  };
}

async function runCategory(
  name: string,
  dir: string,
  opts: CategoriesOptions,
  trained: ResultStore<{ trainSeconds: number }>,
  progress: Progress,
): Promise<CategoryResult> {
  const data = await categoryData(name, dir, opts);
  const slug = itemSlug(name);
  const given = opts.models !== undefined ? join(opts.models, name) : undefined;
  if (given !== undefined && !existsSync(given))
    throw new TrainerError('LW_TRAINER_BAD_VALUE', `--models: no package for category ${name} at ${given}`, {
      path: given,
    });
  const threads = opts.threads !== undefined ? { threads: opts.threads } : {};
  const model =
    given ??
    (
      await trainOrReuse(
        name,
        {
          data: data.train,
          out: join(opts.out, 'models', slug),
          preset: opts.preset,
          backbone: opts.backbone,
          ...(opts.privateKeyPath ? { privateKeyPath: opts.privateKeyPath } : {}),
          ...(opts.settings ? { settings: opts.settings } : {}),
          ...threads,
        },
        trained,
        progress,
      )
    ).packageDir;
  const t0 = performance.now();
  const ev = await evalPackage(
    {
      model,
      data: data.test,
      json: join(opts.out, 'evals', `${slug}.json`),
      ...(opts.keys ? { keys: opts.keys } : {}),
      ...threads,
    },
    progress,
    opts.out,
  );
  return {
    imageAuroc: ev.imageAuroc,
    pixelAuroc: ev.pixelAuroc,
    aupro: ev.aupro,
    pixelMetricsReason: ev.pixelMetricsReason,
    model: given ? 'given' : 'trained',
    trainSeconds: given ? null : (trained.get(name)?.trainSeconds ?? null),
    evalSeconds: (performance.now() - t0) / 1000,
    counts: {
      normal: ev.counts.normal,
      anomalous: ev.counts.anomalous,
      anomalousWithoutMask: ev.counts.anomalousWithoutMask,
    },
  };
}

function runSettings(opts: CategoriesOptions, names: readonly string[]) {
  const b = opts.backbone;
  return {
    root: resolve(opts.root),
    categories: [...names],
    models: opts.models ?? null,
    preset: opts.preset,
    backbone:
      b.kind === 'nsfwjs' ? (b.model ? `nsfwjs:${b.model}` : 'nsfwjs') : b.kind === 'onnx' ? `onnx:${b.path}` : b.dir,
    trainLimit: opts.trainLimit ?? null,
    testLimitPerType: opts.testLimitPerType ?? null,
    ...(opts.settings ? { overrides: { ...opts.settings.config, ...opts.settings.flags } } : {}),
  };
}

export interface CategoriesReport {
  readonly protocol: 'categories';
  readonly settings: ReturnType<typeof runSettings>;
  readonly perCategory: Readonly<Record<string, CategoryResult>>;
  readonly mean: {
    readonly imageAuroc: number | null;
    readonly pixelAuroc: number | null;
    readonly aupro: number | null;
  };
  readonly trainSeconds: number;
  readonly resumed: readonly string[];
  readonly machine: ReturnType<typeof machineLoad>;
  readonly totalSeconds: number;
}

export async function runCategories(
  opts: CategoriesOptions,
  progress: Progress,
): Promise<{ report: CategoriesReport; files: string[] }> {
  const t0 = performance.now();
  const load0 = loadavg();
  const chosen = pickCategories(findCategories(opts.root), opts.categories);
  const settings = runSettings(
    opts,
    chosen.map(([n]) => n),
  );
  // A category's result does not depend on which other categories run: a subset keeps the finished ones.
  const storeKey = { ...settings, categories: undefined };
  const results = new ResultStore<CategoryResult>(join(opts.out, 'results'), storeKey);
  const trained = new ResultStore<{ trainSeconds: number }>(join(opts.out, 'trained'), storeKey);
  const run = runProgress(progress, chosen.length, 'categories');
  const perCategory: Record<string, CategoryResult> = {};
  const resumed: string[] = [];
  for (const [name, dir] of chosen) {
    const earlier = results.get(name);
    if (earlier) resumed.push(name);
    const r = earlier ?? (await runCategory(name, dir, opts, trained, run.item(name)));
    if (!earlier) results.put(name, r);
    perCategory[name] = r;
    const px = r.pixelAuroc === null ? `n/a (${r.pixelMetricsReason})` : r.pixelAuroc.toFixed(3);
    run.finish(
      name,
      `${earlier ? 'from an earlier run: ' : ''}image AUROC ${r.imageAuroc?.toFixed(3) ?? 'n/a'}, pixel AUROC ${px}`,
    );
  }
  run.done();
  const rows = Object.values(perCategory);
  const report: CategoriesReport = {
    protocol: 'categories',
    settings,
    perCategory,
    mean: {
      imageAuroc: meanOf(rows.map((r) => r.imageAuroc)),
      pixelAuroc: meanOf(rows.map((r) => r.pixelAuroc)),
      aupro: meanOf(rows.map((r) => r.aupro)),
    },
    trainSeconds: rows.reduce((a, r) => a + (r.trainSeconds ?? 0), 0),
    resumed,
    machine: machineLoad(load0),
    totalSeconds: (performance.now() - t0) / 1000,
  };
  return { report, files: await writeTable(opts.out, 'results', categoriesTable(report), report) };
}

export function categoriesTable(r: CategoriesReport): ResultTable {
  const s = r.settings;
  return {
    title: `Per-category AUROC — ${basename(s.root)} (${s.models ? 'given packages' : `preset ${s.preset}, backbone ${s.backbone}`})`,
    columns: [
      { key: 'image', label: 'image AUROC', chart: true },
      { key: 'pixel', label: 'pixel AUROC', chart: true },
      { key: 'aupro', label: 'AUPRO@0.3', chart: true },
      { key: 'trainSeconds', label: 'train s' },
    ],
    rows: Object.entries(r.perCategory).map(([name, c]) => ({
      name,
      values: {
        image: c.imageAuroc,
        pixel: c.pixelAuroc,
        aupro: c.aupro,
        trainSeconds: c.trainSeconds === null ? null : Math.round(c.trainSeconds),
      },
      note: c.pixelMetricsReason === null ? null : `pixel metrics: ${c.pixelMetricsReason}`,
    })),
    footer: [
      `Pixel figures at the model's input resolution (eval's definition). Limits: train ${s.trainLimit ?? 'none'}, test per folder ${s.testLimitPerType ?? 'none'}.`,
      `Training ${Math.round(r.trainSeconds)} s in all, run ${Math.round(r.totalSeconds)} s; ${r.machine.cpus} CPUs, load average ${r.machine.loadavgStart.join(' ')} at the start, ${r.machine.loadavgEnd.join(' ')} at the end.`,
      ...(r.resumed.length ? [`From an earlier run: ${r.resumed.join(', ')}.`] : []),
    ],
  };
}
