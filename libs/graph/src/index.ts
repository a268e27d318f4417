export { GraphError, GRAPH_ERROR_CODES, isGraphError, type GraphErrorCode } from './errors.js';
export { Tensor, attr, shapeSize, type DType, type FloatDType, type Shape, type TensorData, type FloatData, type NodeDef } from './tensor.js';
export { Graph, type GraphOptions, type ParamOptions, type ParamEntry } from './builder.js';
export { init, Rng, type Initializer } from './init.js';
export * from './ops/index.js';
export { grad, DIFFERENTIABLE_OPS } from './autodiff/grad.js';
export { exportModel, OPSET, type ExportSpec, type ExportedModel } from './onnx/serialize.js';
