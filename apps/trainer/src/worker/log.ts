/**
 * The worker's logger: pino JSON lines (stderr by default) with the base fields the controller and the agent share
 * (`service: 'worker'`, `version`, `pid`, `hostname`) plus `workerId`; each job logs through a child carrying
 * `jobId`, so one job's lines can be picked out of a long-running worker's log. The level comes from the validated
 * worker config (`--log-level`, env LW_WORKER_LOG_LEVEL).
 *
 * The loop and the job pipeline see only `WorkerLogger`, so tests can pass any implementation.
 */
import { hostname } from 'node:os';
import { pino } from 'pino';
import type { Progress } from '../progress.js';
import { TRAINER_VERSION } from '../version.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;
type LogMethod = (fields: LogFields, msg: string) => void;

export interface WorkerLogger {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
  /** A logger whose lines all carry `bindings` (a job's `jobId`). */
  child(bindings: LogFields): WorkerLogger;
}

export { TRAINER_VERSION };

export interface WorkerLoggerOptions {
  readonly workerId?: string;
  /** Where lines go: the CLI's stderr (default process stderr). Must take whole lines synchronously. */
  readonly destination?: { write(line: string): unknown };
}

export function createWorkerLogger(level: LogLevel, opts: WorkerLoggerOptions = {}): WorkerLogger {
  return pino(
    {
      level,
      base: {
        service: 'worker',
        version: TRAINER_VERSION,
        pid: process.pid,
        hostname: hostname(),
        ...(opts.workerId !== undefined && { workerId: opts.workerId }),
      },
    },
    opts.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** For callers that pass no logger (library use of runJob, tests). */
export const silentLogger: WorkerLogger = pino({ level: 'silent' });

/**
 * Progress as log lines, for a worker whose stderr is not a terminal (a service's log collector): the bar's
 * redraws and 10 % lines would break the JSON stream, so only phase starts and notes become lines. The controller
 * has the fine-grained progress anyway (heartbeats).
 */
export function progressToLog(log: WorkerLogger): Progress {
  return {
    start: (total, label) => log.info({ phase: label, total }, `${label}: ${total}`),
    tick: () => {},
    done: () => {},
    log: (line) => log.info({}, line),
  };
}
