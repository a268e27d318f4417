/**
 * A "user-supplied" ONNX backbone: the nsfwjs MobileNetV2 plan exported to ONNX with two taps as outputs, plus a
 * manifest, in a temp dir. Opening it measures the taps; every way a manifest or model can be wrong is a coded error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportModel, Graph } from '@linewatch/graph';
import onnxProto from 'onnx-proto';
import {
  applyBackbone,
  buildBackbonePlan,
  decodeWeights,
  isBackboneError,
  loadNsfwjsModel,
  openOnnxBackbone,
  parseKerasTopology,
  type BackboneErrorCode,
  type BackboneManifest,
} from '../src/index.js';

const { onnx } = onnxProto;
// The adtr tiny preset's input and taps (this lib cannot import adtr: adtr builds on it).
const [H, W] = [64, 64];
const files = loadNsfwjsModel('mobilenet_v2');
const plan = buildBackbonePlan(
  parseKerasTopology(files.modelTopology),
  decodeWeights(files.weightsManifest, files.shards),
  ['block_2_add', 'block_5_add'],
  [H, W],
);

/** Our plan as a plain ONNX file: input `input_1`, outputs `feat_s4`, `feat_s8` (block_2_add, block_5_add). */
function userBackboneBytes(opset?: number): Uint8Array {
  const g = new Graph();
  const image = g.input('input_1', [1, 3, H, W]);
  const [s4, s8] = applyBackbone(g, image, plan);
  const bytes = exportModel({ graph: g, outputs: { feat_s4: s4!, feat_s8: s8! }, paramsAs: 'initializers' }).bytes;
  if (opset === undefined) return bytes;
  const m = onnx.ModelProto.decode(bytes);
  m.opsetImport = [{ domain: '', version: opset }];
  return onnx.ModelProto.encode(m).finish();
}

const MANIFEST: BackboneManifest = {
  id: 'mnv2-user',
  onnx: 'backbone.onnx',
  inputName: 'input_1',
  inputSize: [H, W],
  normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255, channelOrder: 'RGB' },
  features: [
    { output: 'feat_s4', stride: 4 },
    { output: 'feat_s8', stride: 8, channels: 32 },
  ],
};

let root = '';
let n = 0;
function backboneDir(manifest: unknown, onnxBytes: Uint8Array | null): string {
  const dir = join(root, `bb${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'backbone.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  if (onnxBytes) writeFileSync(join(dir, 'backbone.onnx'), onnxBytes);
  return dir;
}

let good = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'backbones-onnx-'));
  good = backboneDir(MANIFEST, userBackboneBytes());
});
after(() => rmSync(root, { recursive: true, force: true }));

test('opening measures the taps', async () => {
  const bb = await openOnnxBackbone(good);
  assert.equal(bb.id, 'mnv2-user');
  assert.match(bb.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    bb.taps.map((t) => [t.name, t.shape, t.stride]),
    [
      ['feat_s4', [plan.taps[0]!.shape[0], 16, 16], 4],
      ['feat_s8', [32, 8, 8], 8],
    ],
  );
});

async function rejects(dir: string, code: BackboneErrorCode, pattern?: RegExp): Promise<void> {
  await assert.rejects(openOnnxBackbone(dir), (e: unknown) => {
    assert.ok(isBackboneError(e, code), `expected ${code}, got ${String(e)}`);
    if (pattern) assert.match((e as Error).message, pattern);
    return true;
  });
}

test('bad manifests are coded errors', async () => {
  const bytes = userBackboneBytes();
  await rejects(join(root, 'nowhere'), 'LW_BACKBONE_NOT_FOUND');
  await rejects(backboneDir('{ not json', bytes), 'LW_BACKBONE_MANIFEST', /not JSON/);
  await rejects(backboneDir({ ...MANIFEST, features: [] }, bytes), 'LW_BACKBONE_MANIFEST', /features/);
  await rejects(backboneDir({ ...MANIFEST, onnx: '../escape.onnx' }, bytes), 'LW_BACKBONE_MANIFEST', /onnx/);
  await rejects(backboneDir({ ...MANIFEST, extra: 1 }, bytes), 'LW_BACKBONE_MANIFEST');
  await rejects(
    backboneDir({ ...MANIFEST, features: [MANIFEST.features[0], MANIFEST.features[0]] }, bytes),
    'LW_BACKBONE_MANIFEST',
    /twice/,
  );
  await rejects(backboneDir(MANIFEST, null), 'LW_BACKBONE_NOT_FOUND', /backbone\.onnx/);
});

test('bad ONNX files and mismatches are coded errors', async () => {
  const bytes = userBackboneBytes();
  await rejects(
    backboneDir({ ...MANIFEST, features: [{ output: 'nope', stride: 8 }] }, bytes),
    'LW_BACKBONE_TAP',
    /"nope"/,
  );
  await rejects(backboneDir({ ...MANIFEST, inputSize: [96, 96] }, bytes), 'LW_BACKBONE_INPUT', /\[1,3,64,64\]/);
  await rejects(backboneDir({ ...MANIFEST, inputName: 'x' }, bytes), 'LW_BACKBONE_INPUT', /input_1/);
  await rejects(
    backboneDir({ ...MANIFEST, features: [{ output: 'feat_s8', stride: 8, channels: 31 }] }, bytes),
    'LW_BACKBONE_TAP',
    /32 channels/,
  );
  await rejects(
    backboneDir({ ...MANIFEST, features: [{ output: 'feat_s8', stride: 16 }] }, bytes),
    'LW_BACKBONE_TAP',
    /stride 16/,
  );
  const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
  await rejects(backboneDir(MANIFEST, garbage), 'LW_BACKBONE_ONNX');
  await rejects(backboneDir(MANIFEST, new TextEncoder().encode('<html>not a model</html>')), 'LW_BACKBONE_ONNX');
  for (const frac of [0.5, 0.97]) {
    await rejects(backboneDir(MANIFEST, bytes.subarray(0, Math.floor(bytes.length * frac))), 'LW_BACKBONE_ONNX');
  }
  await rejects(backboneDir({ ...MANIFEST, sha256: '0'.repeat(64) }, bytes), 'LW_BACKBONE_ONNX', /sha256/);
  await rejects(backboneDir(MANIFEST, userBackboneBytes(11)), 'LW_BACKBONE_OPSET', /opset 11/);
});
