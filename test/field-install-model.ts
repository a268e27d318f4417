/**
 * Signed model packages for the field-install test, built in milliseconds: a hand-made ONNX graph with the real
 * model's I/O contract (as apps/agent/test/helpers/tiny-model.ts; copied, since e2e tests import apps only through
 * their packages) — image [1,3,H,W] → anomaly_map = gain · mean_c |x|, score = max(anomaly_map). Any coloured frame
 * (a test pattern) scores near `gain`, far above the manifest's tiny threshold: every frame is flagged.
 */
import {
  generateSigningKeys,
  buildPackage,
  loadPrivateKey,
  loadPublicKey,
  packPackage,
} from '@linewatch/model-package';
import type { ManifestDraft } from '@linewatch/model-package';
import { createImage, encodePng } from '@linewatch/vision';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const SIZE = 32;

function valueInfo(name: string, dims: number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
    },
  });
}

function anomalyModel(size: number, gain: number): Uint8Array {
  const F = onnx.TensorProto.DataType.FLOAT;
  const gainT = onnx.TensorProto.create({ name: 'gain', dataType: F, dims: [], floatData: [gain] });
  const shape1 = onnx.TensorProto.create({
    name: 'shape1',
    dataType: onnx.TensorProto.DataType.INT64,
    dims: [1],
    int64Data: [1],
  });
  const ints = (name: string, v: number[]) =>
    onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const int = (name: string, i: number) =>
    onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create({
      name: 'tiny-anomaly',
      initializer: [gainT, shape1],
      node: [
        onnx.NodeProto.create({ opType: 'Abs', input: ['image'], output: ['a'] }),
        onnx.NodeProto.create({
          opType: 'ReduceMean',
          input: ['a'],
          output: ['m'],
          attribute: [ints('axes', [1]), int('keepdims', 1)],
        }),
        onnx.NodeProto.create({ opType: 'Mul', input: ['m', 'gain'], output: ['anomaly_map'] }),
        onnx.NodeProto.create({
          opType: 'ReduceMax',
          input: ['anomaly_map'],
          output: ['mx'],
          attribute: [ints('axes', [1, 2, 3]), int('keepdims', 1)],
        }),
        onnx.NodeProto.create({ opType: 'Reshape', input: ['mx', 'shape1'], output: ['score'] }),
      ],
      input: [valueInfo('image', [1, 3, size, size])],
      output: [valueInfo('anomaly_map', [1, 1, size, size]), valueInfo('score', [1])],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

export type Signer = { publicKeyPem: string; sign: (version: string, build: number, gain: number) => Promise<Signed> };
export type Signed = { tar: Uint8Array; registryVersion: string };

/** A signing key pair in `dir`; `sign` builds the signed package tar of one tiny model version. */
export function makeSigner(dir: string): Signer {
  const paths = generateSigningKeys(dir, 'field-signing');
  const privateKey = loadPrivateKey(paths.privateKeyPath);
  const publicKey = loadPublicKey(paths.publicKeyPath);
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: async (version, build, gain) => {
      const golden = await encodePng(createImage(SIZE, SIZE, [200, 200, 200]));
      const draft: ManifestDraft = {
        schemaVersion: 1,
        modelId: 'field-tiny',
        version,
        build,
        createdAt: new Date().toISOString(),
        backbone: { id: 'none' },
        input: { width: SIZE, height: SIZE, channels: 3 },
        normalization: {
          mean: [0.5, 0.5, 0.5],
          std: [0.5, 0.5, 0.5],
          scale: 1 / 255,
          channelOrder: 'RGB',
          colour: 'rgb',
        },
        featureTaps: ['abs'],
        tokenGrid: { rows: 1, cols: 1 },
        preset: 'tiny',
        metrics: {},
        threshold: { value: 0.01, method: 'f1-max' },
        selfTest: {
          tolerance: 1e-3,
          // A uniform grey of 200 with mean = std = 0.5: |200/255 − 0.5| / 0.5 per pixel, times the gain.
          frames: [{ path: 'golden/grey.png', expectedScore: gain * Math.abs((200 / 255 - 0.5) / 0.5) }],
        },
      };
      const entries = buildPackage(
        draft,
        [
          { path: 'model.onnx', data: anomalyModel(SIZE, gain) },
          { path: 'golden/grey.png', data: new Uint8Array(golden) },
        ],
        privateKey,
        publicKey,
      );
      return { tar: packPackage(entries, true), registryVersion: `${version}+${build}` };
    },
  };
}
