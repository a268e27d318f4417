/** A deliberately naive NCHW interpreter of a backbone plan: an independent reference for the importer's folding. */
import type { BackbonePlan } from '../src/index.js';

export function runPlan(plan: BackbonePlan, inputChw: Float32Array): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  const shapes = new Map<string, [number, number, number]>();
  for (const op of plan.ops) {
    if (op.kind === 'input') {
      values.set(op.name, inputChw);
      shapes.set(op.name, op.shape);
    } else if (op.kind === 'clip') {
      const x = values.get(op.input) as Float32Array;
      values.set(op.name, x.map((v) => Math.min(Math.max(v, op.min), op.max)));
      shapes.set(op.name, op.shape);
    } else if (op.kind === 'add') {
      const a = values.get(op.inputs[0]) as Float32Array;
      const b = values.get(op.inputs[1]) as Float32Array;
      values.set(op.name, a.map((v, i) => v + (b[i] as number)));
      shapes.set(op.name, op.shape);
    } else {
      const x = values.get(op.input) as Float32Array;
      const [cin, hin, win] = shapes.get(op.input) as [number, number, number];
      const [cout, hout, wout] = op.shape;
      const [, ipg, kh, kw] = op.weightShape;
      const opg = cout / op.group;
      const y = new Float32Array(cout * hout * wout);
      for (let o = 0; o < cout; o++) {
        const g = Math.floor(o / opg);
        for (let oy = 0; oy < hout; oy++)
          for (let ox = 0; ox < wout; ox++) {
            let s = op.bias[o] as number;
            for (let i = 0; i < ipg; i++) {
              const c = g * ipg + i;
              for (let ky = 0; ky < kh; ky++) {
                const iy = oy * op.strides[0] - op.pads[0] + ky;
                if (iy < 0 || iy >= hin) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ox * op.strides[1] - op.pads[1] + kx;
                  if (ix < 0 || ix >= win) continue;
                  s += (x[(c * hin + iy) * win + ix] as number) * (op.weight[((o * ipg + i) * kh + ky) * kw + kx] as number);
                }
              }
            }
            y[(o * hout + oy) * wout + ox] = s;
          }
      }
      void cin;
      values.set(op.name, y);
      shapes.set(op.name, op.shape);
    }
  }
  return values;
}

export function nhwcToChw(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) for (let i = 0; i < w; i++) for (let k = 0; k < c; k++) out[(k * h + y) * w + i] = x[(y * w + i) * c + k] as number;
  return out;
}
