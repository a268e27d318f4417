/**
 * report.md: the eval report for people — the headline figures and one row per defect type, from the same object as
 * report.json. A pixel metric that could not be computed reads "n/a" with the reason (e.g. no masks), never a blank
 * or a zero; a pixel metric computed over the masked subset of the anomalies says so under the table.
 */
import type { EvalMetrics } from './metrics.js';

export interface MarkdownInput extends EvalMetrics {
  readonly images: number;
  readonly model: { readonly id: string; readonly version: string; readonly build: number };
  readonly data: { readonly path: string; readonly kind: 'mvtec' | 'manifest'; readonly split?: string };
  readonly provider: string;
  readonly seconds: number;
}

const num = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));

/** A pixel figure: the number, or "n/a (reason)" when the reason explains a null (no masks at all). */
function pixel(v: number | null, reason: string | null): string {
  if (v !== null) return num(v);
  return reason === null ? 'n/a' : `n/a (${reason})`;
}

/** `|` in a folder or defect name would split the table cell. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** `lossCurve`: the package carried the run's loss-curve.png and it was copied beside report.md. */
export function evalMarkdown(r: MarkdownInput, extras: { readonly lossCurve?: boolean } = {}): string {
  const c = r.counts;
  const split = r.data.split === undefined ? '' : ` (${r.data.split} split)`;
  const lines = [
    `# Evaluation: ${cell(r.model.id)} ${r.model.version} (build ${r.model.build})`,
    '',
    `Data: \`${r.data.path}\`${split}, ${r.data.kind}: ${r.images} images — ${c.normal} normal, ${c.anomalous} anomalous ` +
      `(${c.anomalous - c.anomalousWithoutMask} with a mask, ${c.anomalousWithoutMask} with an image label only). ` +
      `${r.seconds} s on ${r.provider}.`,
    '',
    '| | image AUROC | pixel AUROC | AUPRO@0.3 | F1-max |',
    '|---|---|---|---|---|',
    `| all | ${num(r.imageAuroc)} | ${pixel(r.pixelAuroc, r.pixelMetricsReason)} | ${pixel(r.aupro, r.pixelMetricsReason)} | ${num(r.f1Max)} |`,
    ...Object.entries(r.perDefect).map(
      ([type, m]) =>
        `| ${cell(type)} (n=${m.count}) | ${num(m.imageAuroc)} | ${pixel(m.pixelAuroc, m.pixelMetricsReason)} | ${pixel(m.aupro, m.pixelMetricsReason)} | |`,
    ),
    '',
    `Pixel figures at the model's input resolution; at each image's own resolution: pixel AUROC ` +
      `${pixel(r.imageResolution.pixelAuroc, r.pixelMetricsReason)}, AUPRO@0.3 ${pixel(r.imageResolution.aupro, r.pixelMetricsReason)}.`,
  ];
  if (r.pixelMetricsReason !== null && r.pixelAuroc !== null) lines.push('', `Pixel metrics: ${r.pixelMetricsReason}.`);
  lines.push(
    '',
    `F1-max threshold: score >= ${r.threshold === null ? 'n/a' : Number(r.threshold.toPrecision(6))}.`,
    '',
    'Plots: [image ROC](roc-image.png), [pixel ROC](roc-pixel.png), [heatmaps](heatmaps.png).',
    '',
  );
  if (extras.lossCurve) lines.push('Training loss (from the package):', '', '![loss curve](loss-curve.png)', '');
  return lines.join('\n');
}
