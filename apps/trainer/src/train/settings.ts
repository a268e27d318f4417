/**
 * Model-input preprocessing, written into the manifest so the agent feeds the model exactly as the trainer did.
 * Normalisation belongs to the backbone (what its weights were trained on); resizing is always antialiased, because
 * camera frames are usually several times larger than the model input and plain bilinear sampling aliases texture.
 */
import type { ModelConfig } from '@linewatch/adtr';
import type { Manifest } from '@linewatch/protocol';
import { settingsFromManifest, type FitSettings, type PreprocessSettings } from '@linewatch/vision';
import type { ResolvedBackbone } from './backbone.js';

export function manifestPreprocessing(
  model: ModelConfig,
  backbone: Pick<ResolvedBackbone, 'normalization'>,
): Pick<Manifest, 'input' | 'normalization'> {
  const n = backbone.normalization;
  return {
    input: {
      width: model.inputSize[1],
      height: model.inputSize[0],
      channels: 3,
      resize: 'antialias',
      ...(model.fit === 'letterbox' ? { fit: 'letterbox' as const } : {}),
    },
    // pixel' = (pixel · scale − mean) / std
    normalization: {
      mean: [...n.mean],
      std: [...n.std],
      scale: n.scale,
      channelOrder: n.channelOrder ?? 'RGB',
      colour: 'rgb',
    },
  };
}

export function preprocessSettings(
  model: ModelConfig,
  backbone: Pick<ResolvedBackbone, 'normalization'>,
): PreprocessSettings {
  return settingsFromManifest(manifestPreprocessing(model, backbone));
}

/** Where frames land in the model input (stretched or letterboxed), for cropping maps and cutting masks. */
export function fitSettings(model: Pick<ModelConfig, 'inputSize' | 'fit'>): FitSettings {
  return { inputWidth: model.inputSize[1], inputHeight: model.inputSize[0], ...(model.fit ? { fit: model.fit } : {}) };
}
