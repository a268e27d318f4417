/**
 * The manifest that makes any ONNX model usable as an ADTR backbone (`backbone.json` beside `backbone.onnx`): which
 * input takes the image, at what size and normalisation, and which tensors are the multi-scale feature taps. The
 * ONNX file itself says nothing about preprocessing or which activations are worth tapping, so these few facts are
 * all a user has to write to bring e.g. an EfficientNet-B4 as the paper did.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BackboneError } from './errors.js';

export const BACKBONE_MANIFEST_FILE = 'backbone.json';
const MAX_MANIFEST_BYTES = 256 * 1024;

const Name = Type.String({ minLength: 1, maxLength: 128 });
const Size = Type.Integer({ minimum: 8, maximum: 4096 });

export const BackboneManifestSchema = Type.Object(
  {
    schemaVersion: Type.Optional(Type.Literal(1)),
    /** Goes into the model package's manifest (`backbone.id`) and the feature-cache key. */
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
    /** The ONNX file, relative to the manifest (a plain file name or sub-path, no `..`). */
    onnx: Type.String({ pattern: '^(?!.*(^|/)\\.\\.?(/|$))[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$', maxLength: 256 }),
    /** Optional sha256 (hex) of the ONNX file: catches a truncated or swapped file before anything else does. */
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    /** The graph input fed with the NCHW image tensor. */
    inputName: Name,
    /** [height, width] the network runs at; frames are resized to this. */
    inputSize: Type.Tuple([Size, Size]),
    /** pixel' = (pixel · scale − mean[c]) / std[c], channels in `channelOrder` — the model package's convention. */
    normalization: Type.Object(
      {
        mean: Type.Tuple([Type.Number(), Type.Number(), Type.Number()]),
        std: Type.Tuple([
          Type.Number({ exclusiveMinimum: 0 }),
          Type.Number({ exclusiveMinimum: 0 }),
          Type.Number({ exclusiveMinimum: 0 }),
        ]),
        scale: Type.Number({ exclusiveMinimum: 0, maximum: 1e9 }),
        channelOrder: Type.Union([Type.Literal('RGB'), Type.Literal('BGR')]),
      },
      { additionalProperties: false },
    ),
    /** Tensors (graph outputs or any node output) whose NCHW activations become the token features, in order. */
    features: Type.Array(
      Type.Object(
        {
          output: Name,
          /** Input pixels per feature-map cell (checked against the tensor's size). */
          stride: Type.Integer({ minimum: 1, maximum: 512 }),
          /** Checked when given. */
          channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 16 },
    ),
  },
  { additionalProperties: false },
);

export type BackboneManifest = Static<typeof BackboneManifestSchema>;

const check = TypeCompiler.Compile(BackboneManifestSchema);

/** Validates a parsed manifest; the error lists the first few offending paths. */
export function parseBackboneManifest(value: unknown, source = 'backbone manifest'): BackboneManifest {
  if (!check.Check(value)) {
    const errors = [...check.Errors(value)].slice(0, 6).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new BackboneError('LW_BACKBONE_MANIFEST', `${source} is invalid: ${errors.join('; ')}`, { source, errors });
  }
  const outputs = value.features.map((f) => f.output);
  const dup = outputs.find((o, i) => outputs.indexOf(o) !== i);
  if (dup !== undefined) {
    throw new BackboneError('LW_BACKBONE_MANIFEST', `${source} lists feature "${dup}" twice`, { source, output: dup });
  }
  return value;
}

export interface LocatedManifest {
  readonly manifest: BackboneManifest;
  /** Absolute path of the manifest file. */
  readonly manifestPath: string;
  /** Absolute path of the ONNX file it names. */
  readonly onnxPath: string;
}

/** Reads `<dir>/backbone.json` or the given manifest file. */
export function readBackboneManifest(dirOrFile: string): LocatedManifest {
  const abs = isAbsolute(dirOrFile) ? dirOrFile : resolve(dirOrFile);
  let manifestPath = abs;
  try {
    if (statSync(abs).isDirectory()) manifestPath = join(abs, BACKBONE_MANIFEST_FILE);
  } catch (err) {
    throw new BackboneError('LW_BACKBONE_NOT_FOUND', `no backbone at ${abs}`, { path: abs }, { cause: err });
  }
  let text: string;
  try {
    if (statSync(manifestPath).size > MAX_MANIFEST_BYTES) {
      throw new BackboneError('LW_BACKBONE_MANIFEST', `${manifestPath} is larger than ${MAX_MANIFEST_BYTES} bytes`, {
        path: manifestPath,
      });
    }
    text = readFileSync(manifestPath, 'utf8');
  } catch (err) {
    if (err instanceof BackboneError) throw err;
    throw new BackboneError(
      'LW_BACKBONE_NOT_FOUND',
      `cannot read backbone manifest ${manifestPath}`,
      { path: manifestPath },
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BackboneError(
      'LW_BACKBONE_MANIFEST',
      `${manifestPath} is not JSON`,
      { path: manifestPath },
      { cause: err },
    );
  }
  const manifest = parseBackboneManifest(json, manifestPath);
  return { manifest, manifestPath, onnxPath: join(dirname(manifestPath), manifest.onnx) };
}
