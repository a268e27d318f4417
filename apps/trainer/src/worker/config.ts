/**
 * The worker's configuration: flags (and `LW_WORKER_TOKEN` for the token, so it need not appear in `ps`;
 * `LW_WORKER_LOG_LEVEL` for the log level), validated once and frozen. The key must load as an Ed25519 private key
 * here, not after the first job has trained.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { TrainerError } from '../errors.js';
import { LOG_LEVELS, type LogLevel } from './log.js';

export interface WorkerConfig {
  readonly controller: string;
  readonly token: string;
  readonly privateKeyPath: string;
  readonly workDir: string;
  readonly workerId: string;
  /** Claim at most one job, then exit. */
  readonly once: boolean;
  /** Wait between claims when no job is queued (ms). */
  readonly pollMs: number;
  /** CA certificate (PEM) the controller's https certificate must chain to; null = the system CAs. */
  readonly caPem: string | null;
  /** pino level of the worker's log (default info). */
  readonly logLevel: LogLevel;
  /** Fewest normal frames a job's threshold may be calibrated on (run-job.ts MIN_CALIBRATION_NORMALS). */
  readonly minCalibrationNormals?: number;
}

export interface WorkerFlags {
  readonly controller: string;
  readonly token?: string;
  readonly key: string;
  readonly workDir?: string;
  readonly id?: string;
  readonly once?: boolean;
  readonly pollMs?: number;
  /** --ca: path of the controller's CA certificate (PEM). */
  readonly ca?: string;
  /** --log-level (else LW_WORKER_LOG_LEVEL, else info). */
  readonly logLevel?: string;
  /** --min-calibration-normals */
  readonly minCalibrationNormals?: number;
}

const bad = (message: string, flag: string): TrainerError =>
  new TrainerError('LW_TRAINER_BAD_VALUE', message, { flag });

export function workerConfig(flags: WorkerFlags, cwd: string, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  let url: URL;
  try {
    url = new URL(flags.controller);
  } catch {
    throw bad(
      `--controller must be a URL like http://127.0.0.1:8080, got ${JSON.stringify(flags.controller)}`,
      'controller',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw bad(`--controller must be http(s), got ${url.protocol}`, 'controller');
  const token = flags.token ?? env['LW_WORKER_TOKEN'];
  if (!token)
    throw new TrainerError('LW_TRAINER_MISSING_FLAG', 'worker needs --token <t> (or LW_WORKER_TOKEN)', {
      flag: 'token',
    });
  const privateKeyPath = resolve(cwd, flags.key);
  if (!statSync(privateKeyPath, { throwIfNoEntry: false })?.isFile())
    throw bad(`--key ${privateKeyPath} does not exist`, 'key');
  try {
    const k = createPrivateKey(readFileSync(privateKeyPath));
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`a ${k.asymmetricKeyType} key`);
  } catch (e) {
    throw bad(`--key ${privateKeyPath} is not an Ed25519 private key (${(e as Error).message})`, 'key');
  }
  const workerId = flags.id ?? `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._:-]+/g, '-').slice(0, 64);
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(workerId))
    throw bad(`--id must be 1-64 of [A-Za-z0-9._:-], got ${JSON.stringify(workerId)}`, 'id');
  const pollMs = flags.pollMs ?? 2000;
  const caPem = flags.ca === undefined ? null : readCa(resolve(cwd, flags.ca), url);
  const logLevel = logLevelOf(flags.logLevel ?? (env['LW_WORKER_LOG_LEVEL'] || 'info'));
  return Object.freeze({
    controller: url.toString().replace(/\/$/, ''),
    token,
    privateKeyPath,
    workDir: resolve(cwd, flags.workDir ?? 'worker-data'),
    workerId,
    once: flags.once === true,
    pollMs,
    caPem,
    logLevel,
    ...(flags.minCalibrationNormals !== undefined && { minCalibrationNormals: flags.minCalibrationNormals }),
  });
}

function logLevelOf(v: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === v);
  if (!level) throw bad(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(v)}`, 'log-level');
  return level;
}

/** The controller's CA, checked to be a certificate now rather than at the first TLS handshake. */
function readCa(path: string, url: URL): string {
  if (url.protocol !== 'https:') throw bad(`--ca needs an https:// --controller URL, got ${url.protocol}`, 'ca');
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
    new X509Certificate(pem);
  } catch (e) {
    throw bad(`--ca ${path} is not a readable PEM certificate (${(e as Error).message})`, 'ca');
  }
  return pem;
}
