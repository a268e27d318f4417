import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import type { CliContext } from '../src/cli/command.js';
import { parseFinetuneOptions, parseTrainOptions } from '../src/commands/train.js';
import { silentProgress } from '../src/progress.js';
import { Capture } from './fixtures.js';

let dir: string;
let ctx: CliContext;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-trainer-args-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'tfjs'));
  writeFileSync(join(dir, 'tfjs', 'model.json'), '{}');
  writeFileSync(join(dir, 'm.jsonl'), '');
  ctx = { stdout: new Capture(), stderr: new Capture(), progress: silentProgress, cwd: dir };
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: dir });
  return { code, out: stdout.text, err: stderr.text };
}

test('usage errors are coded LW_TRAINER_* lines with exit 2', async () => {
  const cases: [string[], string][] = [
    [[], 'usage'],
    [['frobnicate'], 'LW_TRAINER_USAGE'],
    [['eval', '--model', 'x', '--bogus'], 'LW_TRAINER_UNKNOWN_FLAG'],
    [['eval', '--model'], 'LW_TRAINER_BAD_VALUE'],
    [['eval', '--data', 'data', '--json', 'x.json'], 'LW_TRAINER_MISSING_FLAG'],
    [['eval', 'stray'], 'LW_TRAINER_USAGE'],
    [['verify', '--model', 'nowhere', '--key', 'k.pem'], 'LW_TRAINER_BAD_VALUE'],
    [['train', '--data', 'data', '--preset', 'huge', '--out', 'o'], 'LW_TRAINER_BAD_VALUE'],
    [['train', '--data', 'data', '--preset', 'cpu', '--out', 'o', '--backbone', 'data'], 'LW_TRAINER_BAD_VALUE'],
    [['finetune', '--from', 'data', '--data', 'data', '--loss', 'mse', '--out', 'o'], 'LW_TRAINER_BAD_VALUE'],
    [
      ['finetune', '--from', 'data', '--data', 'data', '--loss', 'px', '--confetti', '-1', '--out', 'o'],
      'LW_TRAINER_BAD_VALUE',
    ],
    [
      ['finetune', '--from', 'data', '--data', 'data', '--loss', 'px', '--confetti', '2.5', '--out', 'o'],
      'LW_TRAINER_BAD_VALUE',
    ],
    [
      ['finetune', '--from', 'data', '--data', 'data', '--loss', 'px', '--confetti', '10001', '--out', 'o'],
      'LW_TRAINER_BAD_VALUE',
    ],
    [['train', '--data', 'data', '--preset', 'cpu', '--out', 'o', '--resume'], 'LW_TRAINER_BAD_VALUE'],
    [['train', '--data', 'data', '--preset', 'cpu', '--out', 'data/../m.jsonl'], 'LW_TRAINER_EXISTS'],
    [['eval', '--model', 'data', '--data', 'data', '--json', 'x', '--threads', '0'], 'LW_TRAINER_BAD_VALUE'],
    [['eval', '--model', 'data', '--data', 'data', '--json', 'x', '--providers', 'cpu,tpu'], 'LW_TRAINER_BAD_VALUE'],
  ];
  for (const [args, code] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(
      r.err,
      code === 'usage' ? /^usage: linewatch-trainer/ : new RegExp(`^error ${code}: `),
      args.join(' '),
    );
  }
});

test('--help prints the program and per-command flags with exit 0', async () => {
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  for (const c of ['train', 'finetune', 'eval', 'keygen', 'sign', 'verify', 'export'])
    assert.match(top.out, new RegExp(`^  ${c} `, 'm'));
  const ev = await cli(['eval', '--help']);
  assert.equal(ev.code, 0);
  for (const f of ['--model', '--data', '--json', '--report', '--key'])
    assert.match(ev.out, new RegExp(`^  ${f} `, 'm'));
  const tr = await cli(['train', '-h']);
  assert.match(tr.out, /--preset <cpu\|paper\|tiny\|demo\|semantic>/);
});

test('train and finetune flags become typed, absolute, validated option objects', () => {
  assert.deepEqual(parseTrainOptions({ data: 'data', preset: 'tiny', out: 'runs/a' }, ctx), {
    data: join(dir, 'data'),
    preset: 'tiny',
    backbone: { kind: 'nsfwjs' },
    out: join(dir, 'runs', 'a'),
    resume: false,
    runtime: { providers: ['cpu'] },
    minCalibrationNormals: 20, // the CLI's default calibration minimum (calibration-minimum.test.ts)
  });
  const t = parseTrainOptions({ data: 'data', preset: 'paper', out: 'data', resume: true, backbone: 'tfjs' }, ctx);
  assert.deepEqual(t.backbone, { kind: 'tfjs-dir', dir: join(dir, 'tfjs') });
  assert.equal(t.resume, true);
  assert.deepEqual(parseFinetuneOptions({ from: 'data', data: 'm.jsonl', loss: 'auto', out: 'ft' }, ctx), {
    from: join(dir, 'data'),
    data: join(dir, 'm.jsonl'),
    dataKind: 'manifest',
    loss: 'auto',
    out: join(dir, 'ft'),
    resume: false,
    runtime: { providers: ['cpu'] },
    minCalibrationNormals: 20,
  });
  assert.equal(parseFinetuneOptions({ from: 'data', data: 'data', loss: 'px', out: 'ft' }, ctx).dataKind, 'mvtec');
  assert.equal(parseFinetuneOptions({ from: 'data', data: 'data', loss: 'px', out: 'ft' }, ctx).confetti, undefined);
  assert.equal(
    parseFinetuneOptions({ from: 'data', data: 'data', loss: 'px', out: 'ft', confetti: '0' }, ctx).confetti,
    0,
  );
  assert.equal(
    parseFinetuneOptions({ from: 'data', data: 'data', loss: 'px', out: 'ft', confetti: '250' }, ctx).confetti,
    250,
  );
  assert.equal(
    parseFinetuneOptions({ from: 'data', data: 'data', loss: 'px', out: 'ft' }, ctx).freezeDecoder,
    undefined,
  );
  assert.equal(
    parseFinetuneOptions({ from: 'data', data: 'data', loss: 'px', out: 'ft', 'freeze-decoder': true }, ctx)
      .freezeDecoder,
    true,
  );
  assert.throws(
    () => parseTrainOptions({ data: 'data', preset: 'cpu', out: 'o', key: 'm.jsonl' }, ctx),
    /LW_PKG_KEY_INVALID/,
  );
});
