/** Public surface for e2e tests and embedding: the app factory and config loader. */
export { build, type App, type BuildOptions } from './app.js';
export { loadConfig, DEFAULTS, type Config, type ConfigInput } from './config.js';
export { ERRORS, ControllerError, isControllerError, type ErrorCode } from './errors.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
