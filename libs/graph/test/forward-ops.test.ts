/** Forward-only ops (used by the frozen backbone) checked against plain-TS references. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../src/builder.js';
import { Rng } from '../src/init.js';
import * as o from '../src/ops/index.js';
import { exportModel } from '../src/onnx/serialize.js';
import { createSession, ortTensor } from '../src/runtime/ort.js';
import type { Tensor } from '../src/tensor.js';

async function run(g: Graph, out: Tensor, feeds: Record<string, Float32Array>): Promise<Float32Array> {
  const m = exportModel({ graph: g, outputs: { out }, paramsAs: 'inputs' });
  const s = await createSession(m.bytes, { threads: 1 });
  const res = await s.run(
    Object.fromEntries(m.inputs.map((t) => [t.name, ortTensor('float32', feeds[t.name]!, t.shape)])),
  );
  await s.release();
  return res['out']!.data as Float32Array;
}

function close(a: Float32Array, b: ArrayLike<number>, tol: number): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
}

function randn(n: number, r: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => r.normal());
}

test('conv: grouped/depthwise with pads and strides matches a direct reference; relu6 = clip', async () => {
  const r = new Rng(1);
  const [n, c, h, w, co, k, group, stride] = [2, 4, 7, 6, 4, 3, 4, 2];
  const g = new Graph();
  const x = g.input('x', [n, c, h, w]);
  const wt = randn(co * (c / group) * k * k, r);
  const bias = randn(co, r);
  const y = o.clip(
    o.conv(x, g.constant(wt, [co, c / group, k, k]), g.constant(bias, [co]), {
      group,
      strides: [stride, stride],
      pads: [1, 0, 1, 2],
    }),
    0,
    6,
  );
  const xv = randn(n * c * h * w, r);
  const got = await run(g, y, { x: xv });
  const [oh, ow] = y.shape.slice(2) as [number, number];
  assert.deepEqual(y.shape, [n, co, Math.floor((h + 2 - k) / stride) + 1, Math.floor((w + 2 - k) / stride) + 1]);
  const cpg = c / group;
  const opg = co / group;
  const want: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < co; oc++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let s = bias[oc]!;
          const g0 = Math.floor(oc / opg) * cpg;
          for (let ic = 0; ic < cpg; ic++)
            for (let u = 0; u < k; u++)
              for (let v = 0; v < k; v++) {
                const yy = i * stride - 1 + u;
                const xx = j * stride - 0 + v;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                s += wt[((oc * cpg + ic) * k + u) * k + v]! * xv[((b * c + g0 + ic) * h + yy) * w + xx]!;
              }
          want.push(Math.min(Math.max(s, 0), 6));
        }
  close(got, want, 1e-4);
});

test('resize: bilinear with align_corners and half_pixel matches a reference', async () => {
  const r = new Rng(2);
  const [h, w, oh, ow] = [4, 5, 14, 14];
  const xv = randn(h * w, r);
  const at = (yy: number, xx: number) => xv[Math.min(Math.max(yy, 0), h - 1) * w + Math.min(Math.max(xx, 0), w - 1)]!;
  const bilinear = (sy: number, sx: number) => {
    const y0 = Math.floor(sy);
    const x0 = Math.floor(sx);
    const fy = sy - y0;
    const fx = sx - x0;
    return (
      (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
      fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1))
    );
  };
  for (const alignCorners of [true, false]) {
    const g = new Graph();
    const x = g.input('x', [1, 1, h, w]);
    const got = await run(g, o.resize(x, [oh, ow], { alignCorners }), { x: xv });
    const want: number[] = [];
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const sy = alignCorners ? (i * (h - 1)) / (oh - 1) : Math.max((i + 0.5) * (h / oh) - 0.5, 0);
        const sx = alignCorners ? (j * (w - 1)) / (ow - 1) : Math.max((j + 0.5) * (w / ow) - 0.5, 0);
        want.push(bilinear(sy, sx));
      }
    close(got, want, 1e-5);
  }
});

test('topK returns the k largest values per row, sorted', async () => {
  const g = new Graph();
  const x = g.input('x', [2, 5]);
  const got = await run(g, o.topK(x, 2).values, { x: Float32Array.of(3, 1, 4, 1, 5, 9, 2, 6, 5, 3) });
  close(got, [5, 4, 9, 6], 0);
});

test('attention: a −10⁴ mask entry removes that key, the same as attending over the other keys only', async () => {
  const r = new Rng(5);
  const [t, d, s] = [3, 4, 5];
  const qv = randn(t * d, r);
  const kv = randn(d * s, r);
  const vv = randn(s * d, r);
  const full = new Graph();
  const mask = new Float32Array(t * s);
  for (let i = 0; i < t; i++) mask[i * s + i] = -1e4; // query i cannot see key i
  const masked = await run(
    full,
    o.attention(
      full.input('q', [1, t, d]),
      full.input('kT', [1, d, s]),
      full.input('v', [1, s, d]),
      full.constant(mask, [t, s]),
    ),
    { q: qv, kT: kv, v: vv },
  );
  for (let i = 0; i < t; i++) {
    // Reference: query i alone against the keys other than i.
    const keep = Array.from({ length: s }, (_, j) => j).filter((j) => j !== i);
    const g = new Graph();
    const kSub = Float32Array.from(
      { length: d * keep.length },
      (_, x) => kv[Math.floor(x / keep.length) * s + keep[x % keep.length]!]!,
    );
    const vSub = Float32Array.from({ length: keep.length * d }, (_, x) => vv[keep[Math.floor(x / d)]! * d + (x % d)]!);
    const ref = await run(
      g,
      o.attention(g.input('q', [1, 1, d]), g.input('kT', [1, d, keep.length]), g.input('v', [1, keep.length, d])),
      {
        q: qv.slice(i * d, (i + 1) * d),
        kT: kSub,
        v: vSub,
      },
    );
    close(masked.slice(i * d, (i + 1) * d), ref, 1e-5);
  }
});
