/**
 * Structured logger: pino JSON lines on stderr, the agent runs unattended so logs must be machine-readable. Every line
 * carries the base fields the controller and the trainer worker share (`service`, `version`, `pid`, `hostname`) and
 * this device's identity (`site`, `line`, `device`), so lines from a fleet can be merged and filtered.
 *
 * The rest of the agent sees only the `Logger` function: call sites (and tests that record calls) stay independent
 * of pino. The level comes from the validated config (`logLevel`, env LW_AGENT_LOG_LEVEL).
 */
import { hostname } from 'node:os';
import { pino, type DestinationStream } from 'pino';
import { AGENT_VERSION } from './runtime.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: Level, msg: string, details?: Record<string, unknown>) => void;

export interface LoggerOptions {
  /** Who is logging; absent only before a config is loaded. */
  readonly identity?: { readonly site: string; readonly line: string; readonly device: string };
  /** Where lines go (default: stderr, synchronously, so nothing is lost when the process exits right after). */
  readonly destination?: DestinationStream;
}

export function createLogger(min: Level | 'silent', opts: LoggerOptions = {}): Logger {
  const id = opts.identity;
  const logger = pino(
    {
      level: min,
      base: {
        service: 'agent',
        version: AGENT_VERSION,
        pid: process.pid,
        hostname: hostname(),
        ...(id && { site: id.site, line: id.line, device: id.device }),
      },
    },
    opts.destination ?? pino.destination({ dest: 2, sync: true }),
  );
  return (level, msg, details) => (details ? logger[level](details, msg) : logger[level](msg));
}
