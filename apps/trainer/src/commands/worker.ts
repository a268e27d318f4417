/** worker: claims fine-tune jobs from a controller and runs them (see ../worker/). */
import { bool, positiveInt, requireStr, str } from '../cli/args.js';
import type { Command } from '../cli/command.js';
import { parseRuntime, runtimeFlags } from '../cli/runtime.js';
import { EXIT } from '../errors.js';
import { workerConfig } from '../worker/config.js';
import { MIN_CALIBRATION_NORMALS } from '../worker/heldout.js';
import { ControllerClient } from '../worker/controller-client.js';
import { LOG_LEVELS, createWorkerLogger, progressToLog } from '../worker/log.js';
import { runWorker } from '../worker/loop.js';

export const worker: Command = {
  name: 'worker',
  summary: 'Claim fine-tune jobs from a controller: train, evaluate against the parent, sign and upload.',
  usage:
    'worker --controller <url> [--ca <ca.pem>] --token <t> --key <private.pem> [--work-dir <dir>] [--id <id>] [--once] [--min-calibration-normals <n>] [--log-level <level>] [--providers cpu|cuda] [--threads <n>] [--device-id <n>]',
  flags: {
    controller: {
      type: 'string',
      value: '<url>',
      description: 'controller base URL, e.g. https://controller:8443',
      required: true,
    },
    ca: {
      type: 'string',
      value: '<ca.pem>',
      description: "CA certificate the controller's https certificate must chain to (default: the system CAs)",
    },
    token: {
      type: 'string',
      value: '<t>',
      description: 'worker token from the controller config (or LW_WORKER_TOKEN)',
    },
    key: {
      type: 'string',
      value: '<private.pem>',
      description: 'Ed25519 key that signs packages (the controller must trust its public half)',
      required: true,
    },
    'work-dir': {
      type: 'string',
      value: '<dir>',
      description: 'scratch space for jobs (default ./worker-data); leftovers are removed at start',
    },
    id: { type: 'string', value: '<id>', description: 'worker id shown as the lease owner (default <host>-<pid>)' },
    once: {
      type: 'boolean',
      description: 'claim at most one job, run it and exit (exit 0 if it completed or none was queued)',
    },
    'log-level': {
      type: 'string',
      value: '<level>',
      description: `JSON log level on stderr: ${LOG_LEVELS.join('|')} (default info, or LW_WORKER_LOG_LEVEL)`,
    },
    'poll-ms': {
      type: 'string',
      value: '<ms>',
      description: 'wait between claims while the queue is empty (default 2000)',
    },
    'min-calibration-normals': {
      type: 'string',
      value: '<n>',
      description:
        'fewest normal frames (held-out + the fine-tune\'s validation share) a threshold may be calibrated on; a job with fewer fails "not enough normal frames: N of M" (default 50)',
    },
    ...runtimeFlags('train'),
  },
  example: 'LW_WORKER_TOKEN=… linewatch-trainer worker --controller http://127.0.0.1:8080 --key keys/signing-key.pem',
  async run(values, ctx) {
    const id = str(values, 'id');
    const workDir = str(values, 'work-dir');
    const token = str(values, 'token');
    const ca = str(values, 'ca');
    const logLevel = str(values, 'log-level');
    const runtime = parseRuntime(values, 'train');
    const cfg = workerConfig(
      {
        controller: requireStr(values, 'controller'),
        key: requireStr(values, 'key'),
        once: bool(values, 'once'),
        pollMs: positiveInt(values, 'poll-ms', 2000, 600_000),
        minCalibrationNormals: positiveInt(values, 'min-calibration-normals', MIN_CALIBRATION_NORMALS, 1_000_000),
        ...(token ? { token } : {}),
        ...(workDir ? { workDir } : {}),
        ...(id ? { id } : {}),
        ...(ca ? { ca } : {}),
        ...(logLevel ? { logLevel } : {}),
      },
      ctx.cwd,
    );
    const log = createWorkerLogger(cfg.logLevel, { workerId: cfg.workerId, destination: ctx.stderr });
    const stop = new AbortController();
    const onSignal = (): void => {
      if (stop.signal.aborted) process.exit(EXIT.unexpected); // second signal: leave now
      log.info(
        {},
        'stopping: the current job ends at its next step and is re-queued by the controller when its lease expires',
      );
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      log.info(
        { controller: cfg.controller, workDir: cfg.workDir },
        `worker ${cfg.workerId} polling ${cfg.controller}`,
      );
      const client = new ControllerClient({
        baseUrl: cfg.controller,
        token: cfg.token,
        workerId: cfg.workerId,
        ...(cfg.caPem !== null ? { ca: cfg.caPem } : {}),
      });
      const { outcomes } = await runWorker(client, {
        workDir: cfg.workDir,
        privateKeyPath: cfg.privateKeyPath,
        once: cfg.once,
        pollMs: cfg.pollMs,
        minCalibrationNormals: cfg.minCalibrationNormals,
        runtime,
        signal: stop.signal,
        // A terminal gets the bar; a log collector only JSON lines.
        progress: ctx.stderr.isTTY === true ? ctx.progress : progressToLog,
        log,
      });
      for (const o of outcomes)
        if (o.status === 'completed')
          ctx.stdout.write(`completed ${o.version} sha256 ${o.sha256} in ${o.seconds.toFixed(1)} s\n`);
      return outcomes.some((o) => o.status === 'failed' || o.status === 'lost') ? EXIT.trainer : EXIT.ok;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
