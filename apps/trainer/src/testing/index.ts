/**
 * Test support, exported as `@linewatch/trainer/testing` and kept out of the production entry point: a fake
 * controller worker API over HTTP, synthetic job datasets, a tiny trained parent package and an in-memory `JobIO`.
 */
export { FakeController, type FakeJob } from './fake-controller.js';
export { MemoryJobIO, trainParent, writeJobDataset, type MemoryCall, type SyntheticSplit } from './job-fixtures.js';
