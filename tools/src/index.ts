export { collectTestFiles } from './run-tests.js';
export { summarise, type TestTotals } from './test-summary.js';
