/**
 * The predict loop: every image through the packaged model the agent's way (eval's EvalModel), judged against the
 * package's threshold as the agent judges it (anomalous when score > threshold; normalized = score ÷ threshold, the
 * verdict message's unit), one row each in predictions.csv and predictions.jsonl, and a turbo overlay of the map
 * on the image (colour range [0, max(map max, threshold)], as the agent's flagged-frame heatmaps) in overlays/.
 * Rows are written as they come, so a long run killed halfway keeps what it scored.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadImage } from '@linewatch/datasets';
import { encodePng, mapRange, overlayHeatmap } from '@linewatch/vision';
import { TrainerError, codeOf } from '../errors.js';
import { mapAtImageSize, type EvalModel } from '../eval/model.js';
import type { Progress } from '../progress.js';
import type { PredictSample } from './data.js';

export const OVERLAYS = ['all', 'anomalous', 'none'] as const;
export type OverlayChoice = (typeof OVERLAYS)[number];

export interface PredictionRow {
  readonly path: string;
  readonly score: number;
  readonly threshold: number;
  readonly normalized: number;
  readonly verdict: 'ok' | 'anomalous';
  readonly label: 0 | 1 | null;
  /** The overlay PNG relative to the output folder, or null when none was written for this image. */
  readonly overlay: string | null;
}

export interface PredictSummary {
  readonly images: number;
  readonly anomalous: number;
  /** Against the known labels at the threshold (only images with a label count). */
  readonly confusion: { readonly tp: number; readonly fp: number; readonly tn: number; readonly fn: number };
}

export const CSV_HEADER = 'path,score,threshold,normalized,verdict,label,overlay';

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside. */
export function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvRow = (r: PredictionRow): string =>
  [r.path, r.score, r.threshold, r.normalized, r.verdict, r.label, r.overlay].map(csvField).join(',');

/** `overlays/00012-test__crack__003.png`: the index keeps names unique, the flattened path keeps them readable. */
function overlayName(index: number, relPath: string): string {
  const flat = relPath.replace(/\.[^./]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '__');
  return `overlays/${String(index).padStart(5, '0')}-${flat.slice(-120)}.png`;
}

class RowFiles {
  private readonly csv: number;
  private readonly jsonl: number;
  constructor(out: string) {
    this.csv = openSync(join(out, 'predictions.csv'), 'w');
    this.jsonl = openSync(join(out, 'predictions.jsonl'), 'w');
    writeSync(this.csv, `${CSV_HEADER}\n`);
  }
  add(r: PredictionRow): void {
    writeSync(this.csv, `${csvRow(r)}\n`);
    writeSync(this.jsonl, `${JSON.stringify(r)}\n`);
  }
  close(): void {
    closeSync(this.csv);
    closeSync(this.jsonl);
  }
}

async function scoreOne(
  model: EvalModel,
  sample: PredictSample,
  index: number,
  opts: { out: string; threshold: number; overlays: OverlayChoice },
): Promise<PredictionRow> {
  const image = await loadImage(sample);
  const { map, score } = await model.score(image);
  const verdict = score > opts.threshold ? 'anomalous' : 'ok';
  let overlay: string | null = null;
  if (opts.overlays === 'all' || (opts.overlays === 'anomalous' && verdict === 'anomalous')) {
    const hi = Math.max(mapRange(map)[1], opts.threshold, 1e-6);
    const png = overlayHeatmap(image, mapAtImageSize(map, image, model.settings), { alpha: 0.5, range: [0, hi] });
    overlay = overlayName(index, sample.relPath);
    await writeFileOrFail(join(opts.out, overlay), await encodePng(png));
  }
  // The verdict message's bound (libs/protocol): a zero threshold must not make the number Infinity (null in JSON).
  const normalized = Math.min(1e12, opts.threshold > 0 ? score / opts.threshold : score > 0 ? 1e12 : 0);
  return { path: sample.relPath, score, threshold: opts.threshold, normalized, verdict, label: sample.label, overlay };
}

async function writeFileOrFail(path: string, data: Uint8Array): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    throw new TrainerError('LW_TRAINER_IO', `cannot write ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
}

export async function predict(
  model: EvalModel,
  samples: readonly PredictSample[],
  opts: { out: string; threshold: number; overlays: OverlayChoice },
  progress: Progress,
): Promise<PredictSummary> {
  if (opts.overlays !== 'none') mkdirSync(join(opts.out, 'overlays'), { recursive: true });
  const files = new RowFiles(opts.out);
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let anomalous = 0;
  progress.start(samples.length, 'predict');
  try {
    for (const [i, sample] of samples.entries()) {
      let row: PredictionRow;
      try {
        row = await scoreOne(model, sample, i, opts);
      } catch (e) {
        if (codeOf(e)) throw e; // coded lib errors already name the file
        const why = `${sample.path}: ${(e as Error).message}`;
        throw new TrainerError('LW_TRAINER_EVAL_FAILED', why, { path: sample.path }, { cause: e });
      }
      files.add(row);
      const flagged = row.verdict === 'anomalous';
      if (flagged) anomalous++;
      if (row.label !== null) c[flagged ? (row.label === 1 ? 'tp' : 'fp') : row.label === 1 ? 'fn' : 'tn']++;
      progress.tick(1, { score: row.score.toPrecision(3) });
    }
  } finally {
    files.close();
    progress.done();
  }
  return { images: samples.length, anomalous, confusion: c };
}
