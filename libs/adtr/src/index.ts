export { ADTR_ERRORS, AdtrError, isAdtrError, type AdtrErrorCode } from './errors.js';
export { parseKerasTopology, type KerasGraph, type KerasLayer } from './backbone/keras-topology.js';
export { decodeWeights, type NamedTensor, type WeightEntry, type WeightGroup } from './backbone/keras-weights.js';
export { buildBackbonePlan, type BackbonePlan, type PlanOp } from './backbone/plan.js';
export { loadNsfwjsModel, loadTfjsDirectory, NSFWJS_MODELS, type LayersModelFiles, type NsfwjsModel } from './backbone/sources.js';
export { applyBackbone, tapsToGrid } from './backbone/to-graph.js';
export { checkModelConfig, DEFAULT_TAPS, presetByName, PRESETS, type LossSettings, type ModelConfig, type Preset, type Schedule } from './model/config.js';
export { lossImg, lossNorm, lossPx, phi, residual } from './model/losses.js';
export { FEATURE_MEAN, FEATURE_STD, gridToTokens, isDecoderParam, reconstruct, type Reconstruction } from './model/reconstruct.js';
export { imageScore, tokenMap, upsampleMap } from './model/scoring.js';
export {
  buildFeatureGraph, buildInferenceGraph, buildTrainingGraph, featureChannels, INPUT_NAME, MAP_OUTPUT, SCORE_OUTPUT,
  type FeatureGraph, type InferenceGraph, type LossKind, type TrainingGraph,
} from './model/graphs.js';
export { fit, type FitOptions, type FitResult, type StepProgress, type TrainSample } from './train/fit.js';
export { featureStats, type FeatureStats } from './train/stats.js';
export { TokenMapPredictor, type PredictOptions } from './train/predict.js';
export { KnnScorer } from './knn.js';
export { BACKBONE_MANIFEST_FILE, BackboneManifestSchema, parseBackboneManifest, readBackboneManifest, type BackboneManifest, type LocatedManifest } from './backbone/onnx-manifest.js';
export { checkBackboneModel, decodeOnnx, MIN_BACKBONE_OPSET, tapModelBytes } from './backbone/onnx-model.js';
export { BACKBONE_PREFIX, mergeBackboneAndHead, type MergeSpec } from './backbone/onnx-merge.js';
export { checkOnnxConfig, onnxModelConfig, openOnnxBackbone, type OnnxBackbone, type OnnxTap } from './backbone/onnx-backbone.js';
export { OnnxFeatureExtractor, onnxInferenceModel } from './backbone/onnx-deploy.js';
export { buildGridGraph, buildHeadGraph, tapInputName, type GridGraph, type HeadGraph, type TapShape } from './model/head-graphs.js';
