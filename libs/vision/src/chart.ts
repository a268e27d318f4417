/**
 * A small SVG line-plot builder (ROC / PRO curves, training losses) and SVG → PNG via sharp (librsvg). Output is
 * plain SVG 1.1 text with no external resources, so it can also be embedded directly in the QA UI.
 */
import sharp from 'sharp';
import { VisionError, VisionErrorCodes, badArgument } from './errors.js';

export interface Series {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** CSS colour; default from a colour-blind-safe palette. */
  readonly color?: string;
  readonly dashed?: boolean;
}

export interface LinePlotOptions {
  readonly series: readonly Series[];
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly width?: number;
  readonly height?: number;
  /** Axis ranges; default: data extent. ROC plots pass [0, 1] for both. */
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  /** Draw the y = x chance line (ROC). */
  readonly diagonal?: boolean;
  /** Series longer than this are decimated (first/last points kept); default 2000. */
  readonly maxPoints?: number;
}

const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** "Nice" tick values (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** The plot's geometry: size, margins, plot area, data ranges and the data → pixel mappings. */
interface Frame {
  readonly W: number;
  readonly H: number;
  readonly m: { readonly l: number; readonly r: number; readonly t: number; readonly b: number };
  /** Plot area width and height. */
  readonly pw: number;
  readonly ph: number;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly sx: (v: number) => number;
  readonly sy: (v: number) => number;
}

/** Pixel coordinates with one decimal: enough for the eye, and keeps long series small. */
const f = (v: number): string => v.toFixed(1);

/** Validates the options and lays the plot out (throws LW_VISION_BAD_ARGUMENT). */
function plotFrame(o: LinePlotOptions): Frame {
  const W = o.width ?? 480;
  const H = o.height ?? 360;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 100 || H < 80)
    throw badArgument(`plot size must be at least 100×80, got ${W}×${H}`);
  o.series.forEach((s, i) => {
    if (s.x.length !== s.y.length)
      throw badArgument(`series ${i} '${s.name}': ${s.x.length} x values vs ${s.y.length} y values`);
  });
  const [x0, x1] = o.xRange ?? extent(o.series.flatMap((s) => s.x));
  const [y0, y1] = o.yRange ?? extent(o.series.flatMap((s) => s.y));
  const m = { l: 56, r: 16, t: o.title ? 32 : 12, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const sx = (v: number): number => m.l + ((v - x0) / (x1 - x0 || 1)) * pw;
  const sy = (v: number): number => m.t + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  return { W, H, m, pw, ph, x0, x1, y0, y1, sx, sy };
}

/** Title, grid with tick labels, plot border, axis labels, the plot-area clip path and the optional diagonal. */
function axesSvg(o: LinePlotOptions, fr: Frame): string[] {
  const { W, H, m, pw, ph, x0, x1, y0, y1, sx, sy } = fr;
  const out: string[] = [];
  if (o.title) out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`);
  for (const t of niceTicks(x0, x1)) {
    out.push(`<line x1="${f(sx(t))}" y1="${m.t}" x2="${f(sx(t))}" y2="${m.t + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f(sx(t))}" y="${m.t + ph + 14}" text-anchor="middle">${t}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${m.l}" y1="${f(sy(t))}" x2="${m.l + pw}" y2="${f(sy(t))}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${f(sy(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (o.xLabel) out.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  if (o.yLabel) {
    out.push(
      `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`,
    );
  }
  out.push(`<clipPath id="plot"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath>`);
  if (o.diagonal) {
    out.push(
      `<line x1="${f(sx(x0))}" y1="${f(sy(x0))}" x2="${f(sx(x1))}" y2="${f(sy(x1))}" stroke="#999" stroke-dasharray="4 4" clip-path="url(#plot)"/>`,
    );
  }
  return out;
}

const seriesColor = (s: Series, i: number): string => s.color ?? PALETTE[i % PALETTE.length]!;

/** One clipped polyline per series, decimated to about `maxPoints` points (the last point always kept). */
function seriesSvg(o: LinePlotOptions, fr: Frame): string[] {
  const { sx, sy } = fr;
  const maxPoints = o.maxPoints ?? 2000;
  return o.series.map((s, i) => {
    const step = Math.max(1, Math.ceil(s.x.length / maxPoints));
    const pts: string[] = [];
    for (let k = 0; k < s.x.length; k += step) pts.push(`${f(sx(s.x[k]!))},${f(sy(s.y[k]!))}`);
    if (s.x.length > 0 && (s.x.length - 1) % step !== 0) pts.push(`${f(sx(s.x.at(-1)!))},${f(sy(s.y.at(-1)!))}`);
    const dash = s.dashed ? ' stroke-dasharray="6 3"' : '';
    return `<polyline points="${pts.join(' ')}" fill="none" stroke="${escapeXml(seriesColor(s, i))}" stroke-width="2"${dash} clip-path="url(#plot)"/>`;
  });
}

/** Legend in the lower-right corner: empty for ROC/PRO curves, which rise to the upper left. */
function legendSvg(o: LinePlotOptions, fr: Frame): string[] {
  if (o.series.length === 0) return [];
  const { m, pw, ph } = fr;
  const lh = 16;
  const lw = Math.min(pw - 8, 24 + 7 * Math.max(...o.series.map((s) => s.name.length)));
  const lx = m.l + pw - lw - 6;
  const ly = m.t + ph - lh * o.series.length - 10;
  const out = [
    `<rect x="${lx}" y="${ly}" width="${lw}" height="${lh * o.series.length + 6}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`,
  ];
  o.series.forEach((s, i) => {
    const y = ly + 12 + i * lh;
    out.push(
      `<line x1="${lx + 4}" y1="${y - 4}" x2="${lx + 18}" y2="${y - 4}" stroke="${escapeXml(seriesColor(s, i))}" stroke-width="2"/>`,
    );
    out.push(`<text x="${lx + 22}" y="${y}">${escapeXml(s.name)}</text>`);
  });
  return out;
}

export function linePlotSvg(o: LinePlotOptions): string {
  const fr = plotFrame(o);
  const { W, H } = fr;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    ...axesSvg(o, fr),
    ...seriesSvg(o, fr),
    ...legendSvg(o, fr),
    '</svg>',
  ].join('\n');
}

/** Rasterises SVG text to PNG (librsvg inside sharp). `density` in DPI scales the output (72 = 1:1). */
export async function svgToPng(svg: string, opts: { density?: number } = {}): Promise<Buffer> {
  try {
    return await sharp(Buffer.from(svg), { density: opts.density ?? 72 })
      .png()
      .toBuffer();
  } catch (e) {
    throw new VisionError(
      VisionErrorCodes.ENCODE_FAILED,
      `SVG rasterisation failed: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
}
