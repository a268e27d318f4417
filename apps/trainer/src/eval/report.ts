/**
 * The evaluation report folder: ROC curves (image and pixel level; overall + one series per defect type), a grid of
 * heatmap overlays (top-scoring anomalies, the highest-scoring normals, the worst misses) and report.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadImage, loadMask } from '@linewatch/datasets';
import { pixelRocCurve, rocCurve } from '@linewatch/metrics';
import {
  composeGrid,
  linePlotSvg,
  overlayHeatmap,
  svgToPng,
  type BinaryMask,
  type RgbImage,
  type Series,
} from '@linewatch/vision';
import { defectTypes, subsetFor, type EvalMetrics } from './metrics.js';
import type { EvalRun, SampleResult } from './evaluate.js';
import { mapAtImageSize, type EvalModel } from './model.js';

const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));

function rocSeries(results: readonly SampleResult[], name: string, level: 'image' | 'pixel'): Series | null {
  try {
    if (level === 'image') {
      const c = rocCurve(
        results.map((r) => r.score),
        results.map((r) => r.label),
        { maxPoints: 500 },
      );
      return { name, x: c.fpr, y: c.tpr };
    }
    const px = results.flatMap((r) => (r.pixels ? [r.pixels] : []));
    if (!px.some((p) => p.mask.some((v) => v !== 0))) return null;
    const c = pixelRocCurve(
      px.map((p) => p.map),
      px.map((p) => p.mask),
      { maxPoints: 500 },
    );
    return { name, x: c.fpr, y: c.tpr };
  } catch {
    return null; // one class missing: nothing to draw for this series
  }
}

async function rocPng(run: EvalRun, metrics: EvalMetrics, level: 'image' | 'pixel'): Promise<Buffer> {
  const key = level === 'image' ? 'imageAuroc' : 'pixelAuroc';
  const series: Series[] = [];
  const all = rocSeries(run.results, `all (AUROC ${fmt(metrics[key])})`, level);
  if (all) series.push({ ...all, color: '#000000' });
  for (const type of defectTypes(run.results)) {
    const s = rocSeries(
      subsetFor(run.results, type),
      `${type} (${fmt(metrics.perDefect[type]?.[key] ?? null)})`,
      level,
    );
    if (s) series.push({ ...s, dashed: true });
  }
  const svg = linePlotSvg({
    series,
    title: rocTitle(level, series.length, metrics),
    xLabel: 'false-positive rate',
    yLabel: 'true-positive rate',
    xRange: [0, 1],
    yRange: [0, 1],
    diagonal: true,
    width: 640,
    height: 480,
  });
  return svgToPng(svg);
}

/** Says on the plot itself why a pixel ROC is empty or drawn over a masked subset, not only in report.json. */
function rocTitle(level: 'image' | 'pixel', drawn: number, metrics: EvalMetrics): string {
  if (level === 'image') return `Image-level ROC${drawn === 0 ? ' (not computable: one class missing)' : ''}`;
  const { anomalous, anomalousWithoutMask } = metrics.counts;
  if (anomalousWithoutMask > 0 && anomalousWithoutMask === anomalous)
    return `Pixel-level ROC: n/a (no masks: 0 of ${anomalous} anomalies have one)`;
  const subset =
    anomalousWithoutMask > 0 ? ` (masked subset: ${anomalous - anomalousWithoutMask} of ${anomalous})` : '';
  return `Pixel-level ROC${drawn === 0 ? ' (not computable: one class missing)' : subset}`;
}

interface Pick {
  readonly result: SampleResult;
  readonly tag: string;
}

/** Up to `n` of each kind, no sample twice: the most confident hits, the closest false alarms, the worst misses. */
export function pickHeatmapSamples(results: readonly SampleResult[], n = 4): Pick[] {
  const anomalies = results.filter((r) => r.label === 1).sort((a, b) => b.score - a.score);
  const normals = results.filter((r) => r.label === 0).sort((a, b) => b.score - a.score);
  const used = new Set<SampleResult>();
  const take = (list: readonly SampleResult[], tag: string, k: number): Pick[] =>
    list
      .filter((r) => !used.has(r))
      .slice(0, k)
      .map((r) => (used.add(r), { result: r, tag }));
  return [
    ...take(anomalies, 'top', n),
    ...take(normals, 'normal', Math.max(2, n - 1)),
    ...take([...anomalies].reverse(), 'miss', n),
  ];
}

/** Draws the ground truth as a white ring just OUTSIDE the mask, so the heat on the defect itself stays visible. */
function outlineMask(img: RgbImage, mask: BinaryMask): RgbImage {
  const { width: w, height: h } = mask;
  const data = img.data.slice();
  const on = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < w && y < h && mask.data[y * w + x] !== 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (on(x, y)) continue;
      if (on(x - 1, y) || on(x + 1, y) || on(x, y - 1) || on(x, y + 1))
        data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  return { ...img, data };
}

async function heatmapGrid(run: EvalRun, model: EvalModel): Promise<Buffer | null> {
  const picks = pickHeatmapSamples(run.results);
  if (picks.length === 0) return null;
  const tiles = [];
  for (const { result, tag } of picks) {
    // Re-scored rather than kept from the run: holding every map would cost memory for a dozen tiles.
    const image = await loadImage(result.sample);
    const { map } = await model.score(image);
    let overlay = overlayHeatmap(image, mapAtImageSize(map, image, model.settings), {
      alpha: 0.5,
      range: run.mapRange,
    });
    if (result.sample.maskPath !== null) overlay = outlineMask(overlay, await loadMask(result.sample, image));
    tiles.push({ image: overlay, caption: `${tag}: ${result.sample.defectType} ${result.score.toPrecision(3)}` });
  }
  const first = tiles[0]!.image;
  const tileWidth = 192;
  const tileHeight = Math.max(32, Math.round((tileWidth * first.height) / first.width));
  return composeGrid(tiles, { columns: 4, tileWidth, tileHeight, captionHeight: 18 });
}

/** Writes the PNGs; report.json is written by the caller once the run's total time is known. */
export async function writeReport(
  dir: string,
  run: EvalRun,
  metrics: EvalMetrics,
  model: EvalModel,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, data: string | Uint8Array): Promise<void> => {
    await writeFile(join(dir, name), data);
    written.push(join(dir, name));
  };
  await put('roc-image.png', await rocPng(run, metrics, 'image'));
  await put('roc-pixel.png', await rocPng(run, metrics, 'pixel'));
  const grid = await heatmapGrid(run, model);
  if (grid) await put('heatmaps.png', grid);
  return written;
}
