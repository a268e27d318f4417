/** eval: scores a dataset with a packaged model and writes metrics (--json) and an optional report folder. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MODEL_FILE } from '@linewatch/model-package';
import { choice, existingPath, requireStr, str, strList } from '../cli/args.js';
import type { Command } from '../cli/command.js';
import { parseRuntime, runtimeFlags } from '../cli/runtime.js';
import { TrainerError } from '../errors.js';
import { loadEvalData } from '../eval/data.js';
import { evaluate } from '../eval/evaluate.js';
import { computeMetrics, type EvalMetrics } from '../eval/metrics.js';
import { evalMarkdown } from '../eval/markdown.js';
import { LOSS_CURVE_FILE } from '../train/loss-curve.js';
import { openModel } from '../eval/model.js';
import { writeReport } from '../eval/report.js';
import { loadKeys, loadPackage, type LoadedPackage } from '../package-io.js';

export interface EvalJson extends EvalMetrics {
  readonly images: number;
  readonly model: { readonly id: string; readonly version: string; readonly build: number };
  readonly verification: 'signature' | 'digests';
  readonly data: { readonly path: string; readonly kind: 'mvtec' | 'manifest'; readonly split?: string };
  readonly provider: string;
  readonly seconds: number;
}

export function evalJson(
  pkg: LoadedPackage,
  metrics: EvalMetrics,
  extra: Pick<EvalJson, 'data' | 'provider' | 'seconds'>,
): EvalJson {
  const m = pkg.manifest;
  // Top-level keys first so a human reading the file sees the headline numbers before per-defect detail.
  const { imageAuroc, pixelAuroc, aupro, ...rest } = metrics;
  return {
    imageAuroc,
    pixelAuroc,
    aupro,
    ...rest,
    images: metrics.counts.normal + metrics.counts.anomalous,
    model: { id: m.modelId, version: m.version, build: m.build },
    verification: pkg.verification,
    ...extra,
  };
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));

export const evalCmd: Command = {
  name: 'eval',
  summary:
    'Evaluate a model package on an MVTec-layout folder or a JSONL manifest: AUROC (image, pixel), AUPRO, F1-max.',
  usage:
    'eval --model <pkg> --data <dir|manifest.jsonl> --json <file> [--report <dir>] [--key <public.pem>] [--split test|train] [--providers <list>] [--threads <n>] [--device-id <n>]',
  flags: {
    model: { type: 'string', value: '<pkg>', description: 'package directory or tarball', required: true },
    data: {
      type: 'string',
      value: '<dir|jsonl>',
      description: 'MVTec-layout dataset folder or JSONL manifest',
      required: true,
    },
    json: { type: 'string', value: '<file>', description: 'write the metrics as JSON here', required: true },
    report: {
      type: 'string',
      value: '<dir>',
      description: 'also write roc-image.png, roc-pixel.png, heatmaps.png, report.json, report.md here',
    },
    key: {
      type: 'string',
      value: '<public.pem>',
      description: 'verify the package signature (else only file digests are checked)',
      multiple: true,
    },
    split: { type: 'string', value: '<test|train>', description: 'MVTec split to evaluate (default test)' },
    ...runtimeFlags('eval'),
  },
  example:
    'linewatch-trainer eval --model out/tile-1.2.0 --data ../shared/data/magnetic-tile --json out/eval.json --report out/report --key keys/signing-key.pub.pem',
  async run(values, ctx) {
    const t0 = performance.now();
    const modelPath = existingPath(requireStr(values, 'model'), 'model', ctx.cwd);
    const dataPath = existingPath(requireStr(values, 'data'), 'data', ctx.cwd);
    const jsonPath = resolve(ctx.cwd, requireStr(values, 'json'));
    const reportFlag = str(values, 'report');
    const reportDir = reportFlag === undefined ? undefined : resolve(ctx.cwd, reportFlag);
    const split = choice(values, 'split', ['test', 'train'] as const, 'test');
    const runtime = parseRuntime(values, 'eval');
    const keys = loadKeys(strList(values, 'key').map((k) => existingPath(k, 'key', ctx.cwd, 'file')));

    const pkg = loadPackage(modelPath, keys);
    ctx.stderr.write(
      pkg.verification === 'signature'
        ? `package ${pkg.manifest.modelId} ${pkg.manifest.version}: signature by ${pkg.keyId} and digests verified\n`
        : `package ${pkg.manifest.modelId} ${pkg.manifest.version}: file digests checked; signature NOT verified (pass --key to verify it)\n`,
    );
    const data = await loadEvalData(dataPath, split);
    const model = await openModel(pkg.manifest, pkg.files.get(MODEL_FILE)!, runtime);
    try {
      const run = await evaluate(model, data.samples, ctx.progress);
      const metrics = computeMetrics(run.results, ctx.progress);
      const json = evalJson(pkg, metrics, {
        data: { path: dataPath, kind: data.kind, ...(data.kind === 'mvtec' ? { split } : {}) },
        provider: model.provider,
        seconds: 0,
      });
      const written: string[] = [];
      if (reportDir) written.push(...(await writeReport(reportDir, run, metrics, model)));
      // Training's loss curve travels in the package (train/finetune put it there); the report shows it when present.
      const lossCurve = reportDir === undefined ? undefined : pkg.files.get(LOSS_CURVE_FILE);
      if (reportDir !== undefined && lossCurve !== undefined) {
        await writeOut(resolve(reportDir, LOSS_CURVE_FILE), lossCurve);
        written.push(resolve(reportDir, LOSS_CURVE_FILE));
      }
      const final = { ...json, seconds: Math.round((performance.now() - t0) / 10) / 100 };
      await writeOut(jsonPath, `${JSON.stringify(final, null, 2)}\n`);
      if (reportDir) {
        written.push(resolve(reportDir, 'report.json'), resolve(reportDir, 'report.md'));
        await writeOut(resolve(reportDir, 'report.json'), `${JSON.stringify(final, null, 2)}\n`);
        await writeOut(resolve(reportDir, 'report.md'), evalMarkdown(final, { lossCurve: lossCurve !== undefined }));
      }
      ctx.stdout.write(summary(final));
      ctx.stdout.write(`wrote ${jsonPath}${written.length > 0 ? `, ${written.join(', ')}` : ''}\n`);
      return 0;
    } finally {
      await model.release();
    }
  },
};

async function writeOut(path: string, text: string | Uint8Array): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  } catch (e) {
    throw new TrainerError('LW_TRAINER_IO', `cannot write ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
}

function summary(j: EvalJson): string {
  const rows = [
    `images ${j.images} (${j.counts.normal} normal, ${j.counts.anomalous} anomalous, ${j.counts.pixelLabelled} with pixel truth) in ${j.seconds}s on ${j.provider}`,
    `image AUROC ${fmt(j.imageAuroc)}  pixel AUROC ${fmt(j.pixelAuroc)}  AUPRO@0.3 ${fmt(j.aupro)}  F1-max ${fmt(j.f1Max)} at score >= ${j.threshold === null ? 'n/a' : Number(j.threshold.toPrecision(6))}`,
    `  (pixel figures at the model's input resolution; at each image's own resolution: pixel AUROC ${fmt(j.imageResolution.pixelAuroc)}  AUPRO@0.3 ${fmt(j.imageResolution.aupro)})`,
    ...(j.pixelMetricsReason === null ? [] : [`  pixel metrics: ${j.pixelMetricsReason}`]),
    ...Object.entries(j.perDefect).map(
      ([t, m]) =>
        `  ${t.padEnd(16)} n=${String(m.count).padEnd(4)} image ${fmt(m.imageAuroc)}  pixel ${fmt(m.pixelAuroc)}  aupro ${fmt(m.aupro)}${m.pixelMetricsReason === null ? '' : `  (${m.pixelMetricsReason})`}`,
    ),
  ];
  return `${rows.join('\n')}\n`;
}
