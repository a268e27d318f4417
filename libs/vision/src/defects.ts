/**
 * Synthetic defects with exact masks. Each defect is a binary region (drawn geometrically) plus an effect applied to
 * exactly the pixels of that region. Effects move every covered level by at least ~14 (textures stay within
 * [TEXTURE_MIN, TEXTURE_MAX]), so mask = {pixels the defect changed}, with no soft edge to argue about.
 */
import type { RgbImage } from './image.js';
import { fbm } from './noise.js';
import type { Rng } from './prng.js';

export type DefectKind = 'scratch' | 'crack' | 'blob' | 'stain' | 'missing';
export const DEFECT_KINDS: readonly DefectKind[] = ['scratch', 'crack', 'blob', 'stain', 'missing'];

type Region = Uint8Array;

/** Marks every pixel whose centre lies within r of (cx, cy); r ≥ 0.5 always marks at least the nearest pixel. */
function stamp(m: Region, w: number, h: number, cx: number, cy: number, r: number): void {
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(w - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(h - 1, Math.ceil(cy + r));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) m[y * w + x] = 1;
  }
}

function scratch(w: number, h: number, rng: Rng): Region {
  const m = new Uint8Array(w * h);
  const len = rng.range(0.25, 0.6) * Math.min(w, h);
  let x = rng.range(0.2, 0.8) * w;
  let y = rng.range(0.2, 0.8) * h;
  let a = rng.range(0, Math.PI * 2);
  const bend = rng.range(-1, 1) / len; // gentle constant curvature
  const r = rng.range(0.6, 1.5);
  for (let t = 0; t < len; t += 0.5) {
    stamp(m, w, h, x, y, r);
    x += Math.cos(a) * 0.5;
    y += Math.sin(a) * 0.5;
    a += bend * 0.5;
  }
  return m;
}

function crack(w: number, h: number, rng: Rng): Region {
  const m = new Uint8Array(w * h);
  const walk = (x: number, y: number, a: number, steps: number, r: number, depth: number): void => {
    for (let s = 0; s < steps; s++) {
      if (x < 0 || y < 0 || x >= w || y >= h) return;
      stamp(m, w, h, x, y, r);
      a += rng.normal() * 0.3;
      x += Math.cos(a);
      y += Math.sin(a);
      if (depth < 2 && rng.next() < 0.01)
        walk(x, y, a + rng.range(-1.2, 1.2), Math.floor((steps - s) * 0.5), r * 0.8, depth + 1);
    }
  };
  walk(
    rng.range(0.25, 0.75) * w,
    rng.range(0.25, 0.75) * h,
    rng.range(0, Math.PI * 2),
    Math.floor(rng.range(0.3, 0.7) * Math.max(w, h)),
    rng.range(0.6, 1.3),
    0,
  );
  return m;
}

/** Ellipse with a wobbly rim: radius modulated by two low-order harmonics. */
function ellipse(w: number, h: number, rng: Rng, sizeLo: number, sizeHi: number): Region {
  const m = new Uint8Array(w * h);
  const d = Math.min(w, h);
  const a = Math.max(1, rng.range(sizeLo, sizeHi) * d);
  const b = Math.max(1, a * rng.range(0.5, 1));
  const cx = rng.range(a, w - a);
  const cy = rng.range(a, h - a);
  const rot = rng.range(0, Math.PI);
  const k1 = rng.int(2, 5),
    k2 = rng.int(5, 9),
    p1 = rng.range(0, 6.3),
    p2 = rng.range(0, 6.3);
  const cos = Math.cos(rot),
    sin = Math.sin(rot);
  for (let y = Math.max(0, Math.floor(cy - a * 1.3)); y < Math.min(h, Math.ceil(cy + a * 1.3)); y++) {
    for (let x = Math.max(0, Math.floor(cx - a * 1.3)); x < Math.min(w, Math.ceil(cx + a * 1.3)); x++) {
      const dx = x + 0.5 - cx,
        dy = y + 0.5 - cy;
      const u = (dx * cos + dy * sin) / a;
      const v = (-dx * sin + dy * cos) / b;
      const th = Math.atan2(v, u);
      const rim = 1 + 0.12 * Math.sin(k1 * th + p1) + 0.06 * Math.sin(k2 * th + p2);
      if (u * u + v * v <= rim * rim) m[y * w + x] = 1;
    }
  }
  if (!m.includes(1)) stamp(m, w, h, cx, cy, 1);
  return m;
}

function stain(w: number, h: number, rng: Rng): Region {
  const m = ellipse(w, h, rng, 0.1, 0.22);
  // Irregular edge: keep the ellipse where a noise field is high enough; always keep the core.
  const n = fbm(w, h, {
    seed: rng.int(0, 0x7fffffff),
    cellX: Math.min(w, h) / 8,
    cellY: Math.min(w, h) / 8,
    octaves: 3,
  });
  let kept = 0;
  for (let i = 0; i < m.length; i++) {
    if (m[i] && n[i]! < 0.3) m[i] = 0;
    kept += m[i]!;
  }
  return kept > 0 ? m : ellipse(w, h, rng, 0.1, 0.22);
}

/** A chipped corner: the region near one image corner below a jagged diagonal cut. */
function missing(w: number, h: number, rng: Rng): Region {
  const m = new Uint8Array(w * h);
  const ax = rng.range(0.12, 0.3) * w;
  const ay = rng.range(0.12, 0.3) * h;
  const flipX = rng.next() < 0.5,
    flipY = rng.next() < 0.5;
  const jag = fbm(w + h, 1, { seed: rng.int(0, 0x7fffffff), cellX: 12, cellY: 1, octaves: 3 });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (flipX ? w - 1 - x : x) + 0.5;
      const v = (flipY ? h - 1 - y : y) + 0.5;
      if (u / ax + v / ay < 1 + 0.25 * (jag[Math.floor(u + v)]! - 0.5)) m[y * w + x] = 1;
    }
  }
  if (!m.includes(1)) m[(flipY ? h - 1 : 0) * w + (flipX ? w - 1 : 0)] = 1;
  return m;
}

/** Darken (factor 1 − s) or brighten (towards 255 by s) each covered channel; s ≥ 0.3 guarantees a change. */
function shade(img: RgbImage, m: Region, s: readonly [number, number, number], brighten: boolean, rng: Rng): void {
  const d = img.data;
  for (let p = 0; p < m.length; p++) {
    if (!m[p]) continue;
    const jitter = 0.9 + 0.1 * rng.next();
    for (let c = 0; c < 3; c++) {
      const v = d[p * 3 + c]!;
      const k = s[c]! * jitter;
      d[p * 3 + c] = Math.round(brighten ? v + (255 - v) * k : v * (1 - k));
    }
  }
}

/**
 * Draws one defect of `kind` into `img` (mutated) and returns its exact mask (1 = changed pixel). Grayscale images
 * get grayscale effects so they stay gray.
 */
export function drawDefect(img: RgbImage, kind: DefectKind, rng: Rng, grayscale: boolean): Uint8Array {
  const { width: w, height: h } = img;
  const uniform = (lo: number, hi: number): [number, number, number] => {
    const v = rng.range(lo, hi);
    return [v, v, v];
  };
  switch (kind) {
    case 'scratch': {
      const m = scratch(w, h, rng);
      shade(img, m, uniform(0.35, 0.6), rng.next() < 0.6, rng);
      return m;
    }
    case 'crack': {
      const m = crack(w, h, rng);
      shade(img, m, uniform(0.55, 0.8), false, rng);
      return m;
    }
    case 'blob': {
      const m = ellipse(w, h, rng, 0.03, 0.08);
      shade(img, m, uniform(0.45, 0.75), false, rng);
      return m;
    }
    case 'stain': {
      const m = stain(w, h, rng);
      // Rust-like tint on colour surfaces: blue darkens most; grayscale gets a uniform darkening.
      const s: [number, number, number] = grayscale
        ? uniform(0.3, 0.45)
        : [rng.range(0.3, 0.4), rng.range(0.4, 0.5), rng.range(0.55, 0.7)];
      shade(img, m, s, false, rng);
      return m;
    }
    case 'missing': {
      const m = missing(w, h, rng);
      const d = img.data;
      const base = rng.int(0, 16);
      for (let p = 0; p < m.length; p++) {
        if (!m[p]) continue;
        const v = base + rng.int(0, 6); // dark background behind the chipped edge, below TEXTURE_MIN
        d[p * 3] = v;
        d[p * 3 + 1] = v;
        d[p * 3 + 2] = v;
      }
      return m;
    }
  }
}
