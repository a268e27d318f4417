/** @linewatch/agent — line-side agent. See README.md. */
export { AGENT_VERSION, build } from './agent.js';
export type { Agent, BuildOptions } from './agent.js';
export { ConfigSchema, loadConfig, parseConfig } from './config.js';
export type { AgentConfig, CameraConfig, SourceConfig } from './config.js';
export { AGENT_ERRORS, AgentError, isAgentError } from './errors.js';
export type { AgentErrorCode } from './errors.js';
