/**
 * HTTP contract of the controller: one TypeBox schema object per route ({method, url, schema}), used by the
 * controller to validate and document (OpenAPI), and by clients (UI, trainer, tests) to type requests and responses.
 */
export * from './common.js';
export * from './health.js';
export * from './auth.js';
export * from './devices.js';
export * from './device-admin.js';
export * from './enrollment.js';
export * from './users.js';
export * from './events.js';
export * from './classes.js';
export * from './drafts.js';
export * from './fleet.js';
export * from './stats.js';
export * from './jobs.js';
export * from './models.js';
export * from './rollouts.js';
export * from './agent-api.js';
export * from './calibration.js';
export * from './drift.js';
export * from './labels-io.js';
