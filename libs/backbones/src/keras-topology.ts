/**
 * Reads the layer graph out of a Keras / TF.js layers-model `modelTopology`.
 *
 * Exports differ in wrapping: nsfwjs ships a functional `Model` at `model_config`, Teachable-Machine-style exports
 * nest that functional model inside one or two `Sequential` wrappers. We search for the functional model whose layers
 * carry `inbound_nodes`, since that is the body we import.
 */
import { BackboneError } from './errors.js';

export interface KerasLayer {
  readonly className: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** Names of the layers feeding this one, in order. */
  readonly inbound: readonly string[];
}

export interface KerasGraph {
  readonly name: string;
  /** Input size as [height, width, channels] (channels-last, as Keras declares it). */
  readonly inputShape: readonly [number, number, number];
  readonly layers: readonly KerasLayer[];
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function findFunctional(node: unknown, depth = 0): Json | undefined {
  if (!isObject(node) || depth > 8) return undefined;
  const className = node['class_name'];
  const config = node['config'];
  if ((className === 'Model' || className === 'Functional') && isObject(config) && Array.isArray(config['layers'])) {
    return config;
  }
  for (const key of ['model_config', 'modelTopology', 'config']) {
    const found = findFunctional(node[key], depth + 1);
    if (found) return found;
  }
  if (isObject(config) && Array.isArray(config['layers'])) {
    for (const layer of config['layers']) {
      const found = findFunctional(layer, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function inboundNames(raw: unknown, layerName: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0) return [];
  if (raw.length > 1) {
    throw new BackboneError('LW_BACKBONE_LAYER', `layer "${layerName}" is called more than once (shared layers)`, {
      layer: layerName,
    });
  }
  const call = raw[0];
  if (!Array.isArray(call)) throw new BackboneError('LW_BACKBONE_FORMAT', `bad inbound_nodes on "${layerName}"`);
  return call.map((entry) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
      throw new BackboneError('LW_BACKBONE_FORMAT', `bad inbound node entry on "${layerName}"`);
    }
    return entry[0];
  });
}

export function parseKerasTopology(modelJson: unknown): KerasGraph {
  const functional = findFunctional(modelJson);
  if (!functional) {
    throw new BackboneError(
      'LW_BACKBONE_FORMAT',
      'no functional Keras model with inbound_nodes found in modelTopology',
    );
  }
  const rawLayers = functional['layers'] as unknown[];
  const layers: KerasLayer[] = rawLayers.map((raw, i) => {
    if (!isObject(raw) || typeof raw['class_name'] !== 'string' || !isObject(raw['config'])) {
      throw new BackboneError('LW_BACKBONE_FORMAT', `layer #${i} is not a Keras layer object`);
    }
    const config = raw['config'];
    const name = typeof raw['name'] === 'string' ? raw['name'] : String(config['name'] ?? `layer_${i}`);
    return { className: raw['class_name'], name, config, inbound: inboundNames(raw['inbound_nodes'], name) };
  });
  const input = layers.find((l) => l.className === 'InputLayer');
  const shape = input?.config['batch_input_shape'];
  if (!input || !Array.isArray(shape) || shape.length !== 4) {
    throw new BackboneError('LW_BACKBONE_FORMAT', 'the model has no 4-D InputLayer');
  }
  const [, h, w, c] = shape as (number | null)[];
  if (typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') {
    throw new BackboneError('LW_BACKBONE_FORMAT', 'the InputLayer has no fixed height, width and channels', { shape });
  }
  return { name: String(functional['name'] ?? 'backbone'), inputShape: [h, w, c], layers };
}
