/**
 * Fitting a preset's model config to an opened user ONNX backbone, and checking that a config matches one. These live
 * with the model (not in @linewatch/backbones) because they speak ModelConfig.
 */
import type { OnnxBackbone } from '@linewatch/backbones';
import { AdtrError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';

/**
 * The model config for an ONNX backbone: its input size and taps; the preset's token grid scaled with the input so
 * the grid stride stays the preset's (e.g. stride 16: 224 → 14, 380 → 24). No intensity tap: the merged head sees
 * only the backbone's outputs, not the image.
 */
export function onnxModelConfig(backbone: Pick<OnnxBackbone, 'inputSize' | 'taps'>, cfg: ModelConfig): ModelConfig {
  const [h, w] = backbone.inputSize;
  const grid: [number, number] = [
    Math.max(1, Math.round((cfg.grid[0] * h) / cfg.inputSize[0])),
    Math.max(1, Math.round((cfg.grid[1] * w) / cfg.inputSize[1])),
  ];
  const { intensityTap: _dropped, ...rest } = cfg;
  return { ...rest, inputSize: [h, w], taps: backbone.taps.map((t) => t.name), grid };
}

export function checkOnnxConfig(backbone: OnnxBackbone, cfg: ModelConfig): void {
  const sameTaps = cfg.taps.length === backbone.taps.length && cfg.taps.every((t, i) => t === backbone.taps[i]?.name);
  if (cfg.inputSize[0] !== backbone.inputSize[0] || cfg.inputSize[1] !== backbone.inputSize[1] || !sameTaps) {
    throw new AdtrError(
      'LW_ADTR_CONFIG',
      `model config (input ${cfg.inputSize.join('x')}, taps ${cfg.taps.join('+')}) does not match backbone "${backbone.id}"; use onnxModelConfig`,
      {
        backbone: backbone.id,
      },
    );
  }
}
