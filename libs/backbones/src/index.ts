export { BACKBONE_ERRORS, BackboneError, isBackboneError, type BackboneErrorCode } from './errors.js';
export { parseKerasTopology, type KerasGraph, type KerasLayer } from './keras-topology.js';
export { decodeWeights, type NamedTensor, type WeightEntry, type WeightGroup } from './keras-weights.js';
export { buildBackbonePlan, type BackbonePlan, type PlanOp } from './plan.js';
export {
  loadNsfwjsModel,
  loadTfjsDirectory,
  NSFWJS_MODELS,
  type LayersModelFiles,
  type NsfwjsModel,
} from './sources.js';
export { applyBackbone } from './to-graph.js';
export { KERAS_MOBILENET_NORMALIZATION, NSFWJS_NORMALIZATION, type BackboneNormalization } from './normalization.js';
export {
  BACKBONE_MANIFEST_FILE,
  BackboneManifestSchema,
  parseBackboneManifest,
  readBackboneManifest,
  type BackboneManifest,
  type LocatedManifest,
} from './onnx-manifest.js';
export {
  checkBackboneModel,
  decodeOnnx,
  MIN_BACKBONE_OPSET,
  onnx,
  tapModelBytes,
  type ModelProto,
} from './onnx-model.js';
export { BACKBONE_PREFIX, mergeBackboneAndHead, type MergeSpec } from './onnx-merge.js';
export { openOnnxBackbone, type OnnxBackbone, type OnnxTap } from './onnx-backbone.js';
