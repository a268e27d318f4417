/** A grouped bar chart (one group per item, one bar per series, values 0–1) as SVG, for the benchmark tables. */
import { escapeXml } from '@linewatch/vision';

export interface BarSeries {
  readonly name: string;
  /** One value per group; null draws no bar (the metric is n/a there). */
  readonly values: readonly (number | null)[];
}

export interface BarChartOptions {
  readonly title: string;
  readonly groups: readonly string[];
  readonly series: readonly BarSeries[];
  /** Value axis range (default [0.5, 1], lower when a value is below 0.5). */
  readonly range?: readonly [number, number];
}

/** 0.5 (chance) unless a value is lower: then down to the tenth below it, so no bar disappears. */
function autoLow(series: readonly BarSeries[]): number {
  const values = series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  return Math.min(0.5, Math.floor(Math.min(1, ...values) * 10) / 10);
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

export function barChartSvg(o: BarChartOptions): string {
  const [lo, hi] = o.range ?? [autoLow(o.series), 1];
  const left = 56;
  const top = 40;
  const plotH = 300;
  // Wide enough for the title and legend even with two groups; groups share what is left.
  const width = Math.max(
    left + 48 * o.groups.length + 20,
    7.5 * o.title.length + 40,
    170 * o.series.length + left,
    640,
  );
  const groupW = (width - left - 20) / Math.max(1, o.groups.length);
  const height = top + plotH + 110;
  const y = (v: number): number => top + plotH * (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo));
  const parts: string[] = [
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" font-size="15" text-anchor="middle" font-family="sans-serif">${escapeXml(o.title)}</text>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const v = lo + ((hi - lo) * k) / 5;
    parts.push(
      `<line x1="${left}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#dddddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" font-family="sans-serif">${v.toFixed(2)}</text>`,
    );
  }
  const barW = Math.min(28, (groupW - 16) / Math.max(1, o.series.length));
  o.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + 8;
    o.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const x = x0 + si * barW;
      parts.push(
        `<rect x="${x}" y="${y(v)}" width="${barW - 2}" height="${top + plotH - y(v)}" fill="${COLORS[si % COLORS.length]}"/>`,
      );
    });
    const cx = x0 + (barW * o.series.length) / 2;
    parts.push(
      `<text x="${cx}" y="${top + plotH + 14}" font-size="11" text-anchor="end" font-family="sans-serif" transform="rotate(-40 ${cx} ${top + plotH + 14})">${escapeXml(g)}</text>`,
    );
  });
  o.series.forEach((s, si) => {
    const x = left + si * 170;
    parts.push(
      `<rect x="${x}" y="${height - 22}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`,
      `<text x="${x + 16}" y="${height - 12}" font-size="12" font-family="sans-serif">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#000000"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}
