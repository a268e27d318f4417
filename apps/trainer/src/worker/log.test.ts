/**
 * Worker logs: pino JSON lines with the base fields the controller and the agent share (service, version, pid,
 * hostname) plus workerId; a job's child adds jobId; the level from --log-level / LW_WORKER_LOG_LEVEL filters.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeys } from '@linewatch/model-package';
import { isTrainerError } from '../errors.js';
import { workerConfig } from './config.js';
import { TRAINER_VERSION, createWorkerLogger, progressToLog, type LogLevel } from './log.js';

type Line = Record<string, unknown> & { level: number; msg: string };

function capture(level: LogLevel): { lines: Line[]; log: ReturnType<typeof createWorkerLogger> } {
  const lines: Line[] = [];
  const log = createWorkerLogger(level, {
    workerId: 'gpu-1',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) },
  });
  return { lines, log };
}

let dir = '';
let key = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-worker-log-'));
  key = generateSigningKeys(join(dir, 'keys')).privateKeyPath;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('base fields on every line; a job child adds jobId to its lines only', () => {
  const { lines, log } = capture('info');
  log.info({}, 'polling');
  const job = log.child({ jobId: 'job-9' });
  job.warn({ code: 'LW_TRAINER_LEASE_LOST' }, 'lease lost');
  assert.equal(lines.length, 2);
  for (const l of lines) {
    assert.equal(l['service'], 'worker');
    assert.equal(l['version'], TRAINER_VERSION);
    assert.equal(l['workerId'], 'gpu-1');
    assert.equal(l['pid'], process.pid);
    assert.equal(typeof l['hostname'], 'string');
  }
  assert.equal(lines[0]!['jobId'], undefined);
  assert.deepEqual([lines[1]!['jobId'], lines[1]!['code'], lines[1]!.level], ['job-9', 'LW_TRAINER_LEASE_LOST', 40]);
});

test('the level filters: at info a debug line is dropped (children too); at warn an info line too', () => {
  for (const [level, expected] of [
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
  ] as const) {
    const { lines, log } = capture(level);
    const job = log.child({ jobId: 'j' });
    for (const m of ['debug', 'info', 'warn', 'error'] as const) job[m]({}, m);
    assert.deepEqual(
      lines.map((l) => l.msg),
      expected,
      level,
    );
  }
});

test('log level: --log-level, else LW_WORKER_LOG_LEVEL, else info; anything else LW_TRAINER_BAD_VALUE', () => {
  const flags = { controller: 'http://127.0.0.1:8080', key, token: 't' };
  assert.equal(workerConfig(flags, dir, {}).logLevel, 'info');
  assert.equal(workerConfig(flags, dir, { LW_WORKER_LOG_LEVEL: 'debug' }).logLevel, 'debug');
  assert.equal(workerConfig({ ...flags, logLevel: 'error' }, dir, { LW_WORKER_LOG_LEVEL: 'debug' }).logLevel, 'error');
  for (const bad of [{ logLevel: 'loud' }, { logLevel: 'INFO' }])
    assert.throws(
      () => workerConfig({ ...flags, ...bad }, dir, {}),
      (e: unknown) => isTrainerError(e, 'LW_TRAINER_BAD_VALUE') && e.details['flag'] === 'log-level',
    );
  assert.throws(
    () => workerConfig(flags, dir, { LW_WORKER_LOG_LEVEL: 'chatty' }),
    (e: unknown) => isTrainerError(e, 'LW_TRAINER_BAD_VALUE'),
  );
});

test('progress as log lines: one line per phase start and per note, none per tick', () => {
  const { lines, log } = capture('info');
  const p = progressToLog(log.child({ jobId: 'job-2' }));
  p.start(40, 'train');
  for (let i = 0; i < 40; i++) p.tick(1, { loss: 0.1 });
  p.done();
  p.log('epoch 1: loss 0.1');
  assert.deepEqual(
    lines.map((l) => [l.msg, l['phase'] ?? null, l['jobId']]),
    [
      ['train: 40', 'train', 'job-2'],
      ['epoch 1: loss 0.1', null, 'job-2'],
    ],
  );
});
