export { ADTR_ERRORS, AdtrError, isAdtrError, type AdtrErrorCode } from './errors.js';
export { parseKerasTopology, type KerasGraph, type KerasLayer } from './backbone/keras-topology.js';
export { decodeWeights, type NamedTensor, type WeightEntry, type WeightGroup } from './backbone/keras-weights.js';
export { buildBackbonePlan, type BackbonePlan, type PlanOp } from './backbone/plan.js';
export { loadNsfwjsModel, loadTfjsDirectory, NSFWJS_MODELS, type LayersModelFiles, type NsfwjsModel } from './backbone/sources.js';
export { applyBackbone, tapsToGrid } from './backbone/to-graph.js';
