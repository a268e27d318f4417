/** Preprocessing for the MobileNetV2 backbones: RGB scaled to [-1, 1] (x/127.5 − 1), as Keras Applications expect. */
import type { ModelConfig } from '@linewatch/adtr';
import type { Manifest } from '@linewatch/protocol';
import { settingsFromManifest, type PreprocessSettings } from '@linewatch/vision';

export function manifestPreprocessing(model: ModelConfig): Pick<Manifest, 'input' | 'normalization'> {
  return {
    input: { width: model.inputSize[1], height: model.inputSize[0], channels: 3 },
    // pixel' = (pixel · scale − mean) / std = (p/255 − 0.5)/0.5 = p/127.5 − 1
    normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255, channelOrder: 'RGB', colour: 'rgb' },
  };
}

export function preprocessSettings(model: ModelConfig): PreprocessSettings {
  return settingsFromManifest(manifestPreprocessing(model));
}
