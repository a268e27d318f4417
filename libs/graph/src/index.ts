export { GraphError, GRAPH_ERROR_CODES, isGraphError, type GraphErrorCode } from './errors.js';
export {
  Tensor,
  attr,
  shapeSize,
  type DType,
  type FloatDType,
  type Shape,
  type TensorData,
  type FloatData,
  type NodeDef,
} from './tensor.js';
export { Graph, type GraphOptions, type ParamOptions, type ParamEntry, type CompositeGradient } from './builder.js';
export { init, Rng, type Initializer } from './init.js';
export * from './ops/index.js';
export { grad, DIFFERENTIABLE_OPS } from './autodiff/grad.js';
export { exportModel, OPSET, type ExportSpec, type ExportedModel } from './onnx/serialize.js';
export { adamw, type AdamWConfig } from './optim/adamw.js';
export { sgd, type SgdConfig } from './optim/sgd.js';
export type { Optimizer, OptimizerBuild, StateSlot } from './optim/optimizer.js';
export { stepDecay, constantLr, type LrSchedule } from './optim/schedule.js';
export { encodeCheckpoint, decodeCheckpoint, crc32, type Checkpoint, type CheckpointEntry } from './checkpoint.js';
export { Trainer, type TrainerOptions, type StepResult, type TrainerStats } from './runtime/trainer.js';
export type { Batch } from './runtime/feeds.js';
export { type SessionConfig } from './runtime/ort.js';
export {
  dense,
  layerNormLayer,
  multiHeadAttention,
  encoderBlock,
  decoderBlock,
  type BlockOptions,
  type AttentionOptions,
} from './layers/transformer.js';
