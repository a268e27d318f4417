/**
 * The trainer's one catalogue of coded errors. Every failure the CLI reports carries a code, so scripts and the job
 * runner can branch on it. Errors from the libs (LW_PKG_*, LW_DATA_*, LW_VISION_*, LW_INFER_*, LW_METRICS_*) keep
 * their own codes: re-wrapping them would hide which layer refused the input.
 */
export const TRAINER_ERRORS = {
  LW_TRAINER_USAGE: 'no command, an unknown command, or unexpected positional arguments',
  LW_TRAINER_UNKNOWN_FLAG: 'a flag the command does not define',
  LW_TRAINER_MISSING_FLAG: 'a required flag is missing',
  LW_TRAINER_BAD_VALUE: 'a flag value is malformed or out of range (or a path does not exist)',
  LW_TRAINER_EXISTS: 'an output path already exists and would be overwritten',
  LW_TRAINER_MODEL_INCOMPATIBLE: 'model.onnx does not map image [1,C,H,W] to anomaly_map [1,1,h,w] + score [1]',
  LW_TRAINER_DATA_UNLABELLED: 'an evaluation sample has neither a label nor a mask',
  LW_TRAINER_EVAL_FAILED: 'evaluation stopped at a sample (the cause names the file)',
  LW_TRAINER_IO: 'reading or writing an output file failed',
  LW_TRAINER_CONFIG:
    'the --config file cannot be read, is not JSON/YAML, or has an unknown key or a bad value (the message names the key)',
  LW_TRAINER_LEASE_LOST:
    'worker: the controller no longer leases this job to us (expired or re-claimed); work stopped, nothing uploaded',
  LW_TRAINER_CONTROLLER:
    'worker: the controller refused a request or answered with something that does not match the protocol',
  LW_TRAINER_TOO_FEW_NORMALS:
    'train/finetune: fewer normal images are kept from training than --min-calibration-normals to calibrate the threshold on',
  LW_TRAINER_JOB_DATA:
    "worker: a job's dataset snapshot cannot be trained or evaluated on (e.g. no anomalies, no held-out normals)",
} as const;

export type TrainerErrorCode = keyof typeof TRAINER_ERRORS;

export class TrainerError extends Error {
  override readonly name = 'TrainerError';
  constructor(
    readonly code: TrainerErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    Object.freeze(this.details);
  }
}

export function isTrainerError(e: unknown, code?: TrainerErrorCode): e is TrainerError {
  return e instanceof TrainerError && (code === undefined || e.code === code);
}

/** Exit statuses: 2 for the trainer's own coded errors (usage and input checks), 3 for a lib's, 1 for anything else. */
export const EXIT = { ok: 0, unexpected: 1, trainer: 2, rejected: 3 } as const;

/** The code of any linewatch coded error (`LW_<PKG>_<WHAT>`), or undefined for other throwables. */
export function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^LW_[A-Z0-9]+_[A-Z0-9_]+$/.test(code) ? code : undefined;
}

/** Error messages of some packages already start with their code; a report names it once. */
export function withoutCodePrefix(message: string, code: string): string {
  return message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
}

/** One line for the terminal: `error CODE: message` (the libs prefix their messages with the code; not twice). */

export function formatError(e: unknown): { line: string; exitCode: number } {
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  if (!code) return { line: `error: ${message}`, exitCode: EXIT.unexpected };
  return {
    line: `error ${code}: ${withoutCodePrefix(message, code)}`,
    exitCode: code.startsWith('LW_TRAINER_') ? EXIT.trainer : EXIT.rejected,
  };
}
