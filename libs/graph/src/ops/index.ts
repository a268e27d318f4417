export * from './elementwise.js';
export * from './linalg.js';
export * from './reduce.js';
export * from './shape.js';
export * from './nn.js';
export * from './attention.js';
export type { TensorLike } from './util.js';
