/**
 * A user-supplied ONNX backbone, opened and checked: manifest → file (+ digest) → protobuf checks → one probe run in
 * onnxruntime on a zero image, which is what tells us each tap's real [C, H, W] (value_info is optional and often
 * symbolic) and proves the model runs before anything is trained on it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InferenceSession, zerosLike } from '@linewatch/inference';
import { BackboneError } from './errors.js';
import { readBackboneManifest, type BackboneManifest } from './onnx-manifest.js';
import { checkBackboneModel, decodeOnnx, tapModelBytes, type ModelProto } from './onnx-model.js';

export interface OnnxTap {
  readonly name: string;
  /** Per image [C, H, W], as measured by the probe run. */
  readonly shape: [number, number, number];
  readonly stride: number;
}

export interface OnnxBackbone {
  readonly kind: 'onnx';
  readonly id: string;
  /** sha256 of the ONNX file: part of the feature-cache key and of the package manifest. */
  readonly sha256: string;
  readonly manifestPath: string;
  readonly onnxPath: string;
  readonly manifest: BackboneManifest;
  readonly inputName: string;
  readonly inputSize: readonly [number, number];
  readonly taps: readonly OnnxTap[];
  readonly model: ModelProto;
  /** The user's model re-encoded with the taps as its outputs. */
  readonly tapBytes: Uint8Array;
  readonly opset: number;
}

function wrapOrt(err: unknown, source: string, what: string): BackboneError {
  const msg = err instanceof Error ? err.message : String(err);
  return new BackboneError('LW_BACKBONE_ONNX', `${source} ${what}: ${msg}`, { source }, { cause: err });
}

/** Opens `<dir>/backbone.json` (or a manifest file) and its ONNX model. */
export async function openOnnxBackbone(dirOrManifest: string, opts: { threads?: number } = {}): Promise<OnnxBackbone> {
  const { manifest: m, manifestPath, onnxPath } = readBackboneManifest(dirOrManifest);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(onnxPath));
  } catch (err) {
    throw new BackboneError(
      'LW_BACKBONE_NOT_FOUND',
      `cannot read ${onnxPath} (named by ${manifestPath})`,
      { path: onnxPath },
      { cause: err },
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (m.sha256 !== undefined && m.sha256 !== sha256) {
    throw new BackboneError(
      'LW_BACKBONE_ONNX',
      `${onnxPath} has sha256 ${sha256}, the manifest says ${m.sha256} (truncated or replaced?)`,
      {
        path: onnxPath,
        sha256,
        expected: m.sha256,
      },
    );
  }
  const model = decodeOnnx(bytes, onnxPath);
  const { opset } = checkBackboneModel(model, m, onnxPath);
  const tapBytes = tapModelBytes(model, m);
  const taps = await probeTaps(tapBytes, m, onnxPath, opts.threads ?? 1);
  return {
    kind: 'onnx',
    id: m.id,
    sha256,
    manifestPath,
    onnxPath,
    manifest: m,
    inputName: m.inputName,
    inputSize: [m.inputSize[0], m.inputSize[1]],
    taps,
    model,
    tapBytes,
    opset,
  };
}

async function probeTaps(
  tapBytes: Uint8Array,
  m: BackboneManifest,
  source: string,
  threads: number,
): Promise<OnnxTap[]> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.open(tapBytes, { intraOpThreads: threads });
  } catch (err) {
    throw wrapOrt(err, source, 'does not load in onnxruntime');
  }
  let out: Awaited<ReturnType<InferenceSession['run']>>;
  try {
    out = await session.run({ [m.inputName]: zerosLike('float32', [1, 3, m.inputSize[0], m.inputSize[1]]) });
  } catch (err) {
    throw wrapOrt(err, source, `does not run on a [1,3,${m.inputSize.join(',')}] image`);
  } finally {
    await session.release();
  }
  return m.features.map((f) => {
    const t = out[f.output];
    const dims = t?.dims ?? [];
    if (!t || t.type !== 'float32' || dims.length !== 4 || dims[0] !== 1) {
      throw new BackboneError(
        'LW_BACKBONE_TAP',
        `${source} feature "${f.output}" must be a float32 [1,C,H,W] tensor, got ${t?.type ?? 'nothing'} [${dims.join(',')}]`,
        {
          source,
          output: f.output,
          dims: [...dims],
        },
      );
    }
    const [, c, h, w] = dims as [number, number, number, number];
    if (f.channels !== undefined && f.channels !== c) {
      throw new BackboneError(
        'LW_BACKBONE_TAP',
        `${source} feature "${f.output}" has ${c} channels, the manifest says ${f.channels}`,
        { source, output: f.output, channels: c },
      );
    }
    // Exporters round odd sizes either way (SAME padding ceils, VALID floors), so allow both.
    const near = (size: number, full: number) => Math.abs(size - full / f.stride) < 1;
    if (!near(h, m.inputSize[0]) || !near(w, m.inputSize[1])) {
      throw new BackboneError(
        'LW_BACKBONE_TAP',
        `${source} feature "${f.output}" is ${h}x${w}, not stride ${f.stride} of ${m.inputSize.join('x')}`,
        {
          source,
          output: f.output,
          size: [h, w],
          stride: f.stride,
        },
      );
    }
    return { name: f.output, shape: [c, h, w], stride: f.stride };
  });
}
