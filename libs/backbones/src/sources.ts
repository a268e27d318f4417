/**
 * Where backbone files come from: the MobileNetV2 bundled in the `nsfwjs` npm package (installs on a fresh clone,
 * so it is the default), or any TF.js layers-model directory (`model.json` + weight files) such as
 * `../shared/backbones/mobilenetv2-035-imagenet-tfjs`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BackboneError } from './errors.js';
import type { WeightGroup } from './keras-weights.js';

export interface LayersModelFiles {
  /** Identifies the weights (used in cache keys and manifests). */
  readonly id: string;
  readonly modelTopology: unknown;
  readonly weightsManifest: readonly WeightGroup[];
  /** Concatenated bytes per weight group. */
  readonly shards: readonly Uint8Array[];
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BackboneError('LW_BACKBONE_NOT_FOUND', `cannot read ${path}`, { path }, { cause: err });
  }
}

function asGroups(raw: unknown, where: string): WeightGroup[] {
  if (!Array.isArray(raw)) throw new BackboneError('LW_BACKBONE_FORMAT', `${where} has no weightsManifest array`);
  return raw as WeightGroup[];
}

export function loadTfjsDirectory(dir: string, id = `tfjs:${dir}`): LayersModelFiles {
  const json = readJson(join(dir, 'model.json')) as Record<string, unknown>;
  const groups = asGroups(json['weightsManifest'], join(dir, 'model.json'));
  const shards = groups.map((g) => {
    const parts = g.paths.map((p) => {
      try {
        return readFileSync(join(dir, p));
      } catch (err) {
        throw new BackboneError(
          'LW_BACKBONE_NOT_FOUND',
          `cannot read weight file ${p}`,
          { dir, path: p },
          { cause: err },
        );
      }
    });
    return new Uint8Array(Buffer.concat(parts));
  });
  return { id, modelTopology: json['modelTopology'], weightsManifest: groups, shards };
}

export const NSFWJS_MODELS = ['mobilenet_v2', 'mobilenet_v2_mid', 'inception_v3'] as const;
export type NsfwjsModel = (typeof NSFWJS_MODELS)[number];

/**
 * nsfwjs bundles each model as UMD scripts: `model.min.js` exports `{ modelTopology, weightsManifest }` and each
 * `group1-shardNofM.min.js` exports the shard as a base64 string.
 */
export function loadNsfwjsModel(model: NsfwjsModel = 'mobilenet_v2'): LayersModelFiles {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    // The package's exports hide its folders; resolve its CommonJS entry and walk up to dist/.
    root = join(dirname(require.resolve('nsfwjs')), '..');
  } catch (err) {
    throw new BackboneError('LW_BACKBONE_NOT_FOUND', 'the nsfwjs package is not installed', {}, { cause: err });
  }
  const dir = join(root, 'models', model);
  const mod = require(join(dir, 'model.min.js')) as { modelTopology?: unknown; weightsManifest?: unknown };
  const groups = asGroups(mod.weightsManifest, `nsfwjs ${model}`);
  const shards = groups.map(
    (g) =>
      new Uint8Array(
        Buffer.concat(
          g.paths.map((p) => {
            const b64 = require(join(dir, `${p}.min.js`)) as unknown;
            if (typeof b64 !== 'string')
              throw new BackboneError('LW_BACKBONE_FORMAT', `nsfwjs shard ${p} is not a string`);
            return Buffer.from(b64, 'base64');
          }),
        ),
      ),
  );
  return { id: `nsfwjs@4.4.0:${model}`, modelTopology: mod.modelTopology, weightsManifest: groups, shards };
}
