/**
 * What a backbone's weights were trained on, as the input normalisation pixel' = (pixel · scale − mean) / std: a
 * package records it in its manifest so the agent feeds the model exactly as training did.
 */
export interface BackboneNormalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly scale: number;
  /** Default RGB. */
  readonly channelOrder?: 'RGB' | 'BGR';
}

/** nsfwjs feeds its MobileNetV2 x/255 (its `normalizationOffset`); its weights were fine-tuned on that range. */
export const NSFWJS_NORMALIZATION: BackboneNormalization = { mean: [0, 0, 0], std: [1, 1, 1], scale: 1 / 255 };
/** Keras Applications MobileNetV2 (`preprocess_input`): x/127.5 − 1. */
export const KERAS_MOBILENET_NORMALIZATION: BackboneNormalization = {
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  scale: 1 / 255,
};
