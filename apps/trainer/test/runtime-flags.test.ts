/**
 * `--providers` / `--threads` / `--device-id` on train, finetune, eval and worker: parsed into one typed runtime,
 * refused with LW_TRAINER_BAD_VALUE when they cannot work (unknown provider, TensorRT or a fallback list for
 * training, a GPU ordinal without a GPU provider), listed in every command's help, and carried to the training
 * engine: here (no GPU) `--providers cuda` makes training fail with the engine's "CUDA unavailable" code instead of
 * silently training on the CPU.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, generateSurface } from '@linewatch/vision';
import { runCli } from '../src/cli/run.js';
import { parseRuntime } from '../src/cli/runtime.js';
import { COMMANDS } from '../src/commands/index.js';
import { parseTrainOptions } from '../src/commands/train.js';
import { silentProgress } from '../src/progress.js';
import { runTrain } from '../src/train/index.js';
import { Capture } from './fixtures.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-trainer-rt-'));
  mkdirSync(join(dir, 'data'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: dir });
  return { code, out: stdout.text, err: stderr.text };
}

test('runtime flags parse into providers, threads and GPU ordinal', () => {
  assert.deepEqual(parseRuntime({}, 'train'), { providers: ['cpu'] });
  assert.deepEqual(parseRuntime({ providers: 'CUDA', threads: '8', 'device-id': '1' }, 'train'), {
    providers: ['cuda'],
    threads: 8,
    deviceId: 1,
  });
  assert.deepEqual(parseRuntime({ providers: 'tensorrt,cuda,cpu', 'device-id': '0' }, 'eval'), {
    providers: ['tensorrt', 'cuda', 'cpu'],
    deviceId: 0,
  });
  const ctx = { stdout: new Capture(), stderr: new Capture(), progress: silentProgress, cwd: dir };
  const opts = parseTrainOptions({ data: 'data', preset: 'tiny', out: 'o', providers: 'cuda', 'device-id': '2' }, ctx);
  assert.deepEqual(opts.runtime, { providers: ['cuda'], deviceId: 2 });
});

test('runtime flags that cannot work are LW_TRAINER_BAD_VALUE', () => {
  const bad: [Record<string, string>, 'train' | 'eval', RegExp][] = [
    [{ providers: 'cpu,tpu' }, 'eval', /unknown provider "tpu"/],
    [{ providers: 'cuda,cpu' }, 'train', /exactly one of cpu or cuda/],
    [{ providers: 'tensorrt' }, 'train', /exactly one of cpu or cuda/],
    [{ 'device-id': '1' }, 'eval', /--device-id needs a GPU provider/],
    [{ providers: 'cuda', 'device-id': '-1' }, 'train', /--device-id must be an integer/],
    [{ providers: 'cuda', 'device-id': '65' }, 'train', /--device-id must be an integer in 0\.\.64/],
    [{ threads: '0' }, 'train', /--threads must be an integer in 1\.\.256/],
  ];
  for (const [values, use, message] of bad) {
    assert.throws(
      () => parseRuntime(values, use),
      (e: unknown) => (e as { code?: string }).code === 'LW_TRAINER_BAD_VALUE' && message.test((e as Error).message),
      JSON.stringify(values),
    );
  }
});

test('train, finetune, eval and worker list --providers, --threads and --device-id in their help', async () => {
  for (const command of ['train', 'finetune', 'eval', 'worker']) {
    const r = await cli([command, '--help']);
    assert.equal(r.code, 0, command);
    for (const flag of ['--providers', '--threads', '--device-id']) assert.match(r.out, new RegExp(`^  ${flag} `, 'm'));
  }
  const bad = await cli(['worker', '--controller', 'http://127.0.0.1:1', '--key', 'k', '--providers', 'tensorrt']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /LW_TRAINER_BAD_VALUE/);
});

test(
  '--providers cuda reaches the training engine: no silent CPU fallback on a host without CUDA',
  { timeout: 120_000 },
  async () => {
    const data = join(dir, 'tiny-set');
    mkdirSync(join(data, 'train', 'good'), { recursive: true });
    mkdirSync(join(data, 'test', 'good'), { recursive: true });
    for (let i = 0; i < 4; i++) {
      const s = generateSurface({ seed: i + 1, width: 64, height: 64, texture: 'grain', defect: 'none' });
      writeFileSync(join(data, 'train', 'good', `${i}.png`), await encodePng(s.image));
    }
    const run = runTrain(
      {
        data,
        preset: 'tiny',
        backbone: { kind: 'nsfwjs' },
        out: join(dir, 'out-cuda'),
        resume: false,
        runtime: { providers: ['cuda'], threads: 1 },
      },
      silentProgress,
    );
    await assert.rejects(run, (e: unknown) => (e as { code?: string }).code === 'LW_GRAPH_EP_UNAVAILABLE');
  },
);
