/**
 * Test fixtures: a hand-built ONNX model (image [1,3,32,32] → anomaly_map = mean over channels of |x| [1,1,32,32],
 * score = max of the map [1]) packaged and signed with model-package, and small MVTec-layout datasets made from
 * vision's synthetic surfaces (exact defect masks).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { buildPackage, writePackageDir, type ManifestDraft, type PackageFile } from '@linewatch/model-package';
import {
  encodeJpeg,
  encodeMaskPng,
  encodePng,
  generateSurface,
  type BinaryMask,
  type RgbImage,
} from '@linewatch/vision';

const { onnx } = onnxProto;

function valueInfo(name: string, dims: number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
    },
  });
}

function ints(name: string, values: number[]) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
}

function int(name: string, value: number) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
}

/** Opset 17: ReduceMean/ReduceMax still take `axes` as an attribute there. */
export function tinyModel(size = 32, mapName = 'anomaly_map'): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create({
      name: 'tiny-adtr',
      node: [
        onnx.NodeProto.create({ opType: 'Abs', input: ['image'], output: ['a'] }),
        onnx.NodeProto.create({
          opType: 'ReduceMean',
          input: ['a'],
          output: [mapName],
          attribute: [ints('axes', [1]), int('keepdims', 1)],
        }),
        onnx.NodeProto.create({
          opType: 'ReduceMax',
          input: [mapName],
          output: ['score'],
          attribute: [ints('axes', [1, 2, 3]), int('keepdims', 0)],
        }),
      ],
      input: [valueInfo('image', [1, 3, size, size])],
      output: [valueInfo(mapName, [1, 1, size, size]), valueInfo('score', [1])],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Flat 128 gray maps to exactly 0, so a flat image scores 0 and anything else scores by its distance from 128. */
export const DRAFT: ManifestDraft = {
  schemaVersion: 1,
  modelId: 'tiny-test',
  version: '1.0.0',
  build: 3,
  createdAt: '2026-11-28T12:00:00Z',
  backbone: { id: 'none' },
  input: { width: 32, height: 32, channels: 3 },
  normalization: { mean: [128, 128, 128], std: [64, 64, 64], scale: 1, channelOrder: 'RGB', colour: 'rgb' },
  featureTaps: ['identity'],
  tokenGrid: { rows: 32, cols: 32 },
  preset: 'tiny',
  metrics: { imageAuroc: 1 },
  threshold: { value: 0.5, method: 'f1-max' },
};

export interface Fixture {
  readonly dir: string;
  readonly privateKey: string;
  readonly publicKey: string;
  readonly otherPublicKey: string;
  readonly pkg: string;
  readonly onnx: Uint8Array;
}

function writeKeys(dir: string, name: string): { priv: string; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const priv = join(dir, `${name}.pem`);
  const pub = join(dir, `${name}.pub.pem`);
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { priv, pub };
}

export function makeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'lw-trainer-'));
  const keysDir = join(dir, 'keys');
  mkdirSync(keysDir);
  const signer = writeKeys(keysDir, 'signer');
  const other = writeKeys(keysDir, 'other');
  const onnxBytes = tinyModel();
  const pkg = join(dir, 'pkg');
  const { privateKey, publicKey } = keyObjects(signer.priv);
  writePackageDir(pkg, buildPackage(DRAFT, [{ path: 'model.onnx', data: onnxBytes }], privateKey, publicKey));
  return { dir, privateKey: signer.priv, publicKey: signer.pub, otherPublicKey: other.pub, pkg, onnx: onnxBytes };
}

export function keyObjects(privPath: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey(readFileSync(privPath, 'utf8'));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export function packageEntries(files: PackageFile[], privPath: string): PackageFile[] {
  const { privateKey, publicKey } = keyObjects(privPath);
  return buildPackage(DRAFT, files, privateKey, publicKey);
}

function flat(width: number, height: number, v = 128): RgbImage {
  return { width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(v) };
}

async function put(path: string, bytes: Uint8Array): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

/**
 * Known perfect separation: normals are flat 128 (map 0 everywhere), anomalies are flat 128 with the mask painted
 * 255 (map > 0 exactly on the mask), images at the model's input size so no resampling blurs the boundary.
 */
export async function perfectDataset(
  root: string,
  types: readonly ('scratch' | 'blob')[] = ['scratch', 'blob'],
): Promise<void> {
  for (let i = 0; i < 3; i++) await put(join(root, 'test', 'good', `${i}.png`), await encodePng(flat(32, 32)));
  let seed = 1;
  for (const type of types) {
    for (let i = 0; i < 2; i++) {
      const { mask } = generateSurface({ seed: seed++, width: 32, height: 32, defect: type });
      const img = flat(32, 32);
      for (let p = 0; p < mask.data.length; p++) if (mask.data[p]) img.data.fill(255, p * 3, p * 3 + 3);
      await put(join(root, 'test', type, `${i}.png`), await encodePng(img));
      await put(join(root, 'ground_truth', type, `${i}_mask.png`), await encodeMaskPng(mask));
    }
  }
}

/** Textured, non-square images (48×40, resampled to 32×32 by preprocessing and back by resizeMap); JPEG normals. */
export async function texturedDataset(root: string): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const { image } = generateSurface({ seed: `good-${i}`, width: 48, height: 40, texture: 'noise' });
    await put(join(root, 'test', 'good', `${i}.jpg`), await encodeJpeg(image, { quality: 90 }));
  }
  for (const type of ['scratch', 'stain'] as const) {
    for (let i = 0; i < 3; i++) {
      const s = generateSurface({ seed: `${type}-${i}`, width: 48, height: 40, texture: 'noise', defect: type });
      await put(join(root, 'test', type, `${i}.png`), await encodePng(s.image));
      await put(join(root, 'ground_truth', type, `${i}_mask.png`), await encodeMaskPng(s.mask));
    }
  }
}

export async function writeMask(path: string, mask: BinaryMask): Promise<void> {
  await put(path, await encodeMaskPng(mask));
}

/** Collects everything written to it, for asserting on CLI output. */
export class Capture {
  text = '';
  readonly isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
