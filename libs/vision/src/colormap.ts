/** 256-entry RGB lookup tables for heatmaps. Built once at import; lookups are a table read per pixel. */

export type ColormapName = 'turbo' | 'jet' | 'gray';

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Turbo (Google, 2019) via its published degree-5 polynomial fit; perceptually smoother than jet. */
function turbo(x: number): [number, number, number] {
  const r =
    0.13572138 + x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
  const g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
  const b =
    0.1066733 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
  return [clamp01(r), clamp01(g), clamp01(b)];
}

/** Classic MATLAB jet: blue → cyan → yellow → red. */
function jet(x: number): [number, number, number] {
  return [clamp01(1.5 - Math.abs(4 * x - 3)), clamp01(1.5 - Math.abs(4 * x - 2)), clamp01(1.5 - Math.abs(4 * x - 1))];
}

function build(fn: (x: number) => [number, number, number]): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = fn(i / 255);
    lut[i * 3] = Math.round(r * 255);
    lut[i * 3 + 1] = Math.round(g * 255);
    lut[i * 3 + 2] = Math.round(b * 255);
  }
  return lut;
}

const LUTS: Record<ColormapName, Uint8Array> = {
  turbo: build(turbo),
  jet: build(jet),
  gray: build((x) => [x, x, x]),
};

/** The LUT (RGB triplets for levels 0..255) of a colormap. */
export function colormapLut(name: ColormapName): Uint8Array {
  return LUTS[name];
}
