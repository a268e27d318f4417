/**
 * Training-setting overrides: preset < --config file < flags, decayEpoch following a changed epoch count, and the
 * coded errors — a bad flag is LW_TRAINER_BAD_VALUE naming the flag, a bad config file LW_TRAINER_CONFIG naming the
 * key — all before any data is read. The training runs themselves are in train-controls.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetByName } from '@linewatch/adtr';
import type { CliContext } from '../src/cli/command.js';
import { parseFlags } from '../src/cli/args.js';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { parseFinetuneOptions, parseTrainOptions } from '../src/commands/train.js';
import { isTrainerError } from '../src/errors.js';
import { pinSettings, resolveSettings, trainingRecord, type SettingOverrides } from '../src/train/overrides.js';
import { silentProgress } from '../src/progress.js';
import { Capture } from './fixtures.js';

let dir: string;
let ctx: CliContext;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-trainer-settings-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'parent.tar.gz'), '');
  ctx = { stdout: new Capture(), stderr: new Capture(), progress: silentProgress, cwd: dir };
});
after(() => rmSync(dir, { recursive: true, force: true }));

const byName = (name: string) => COMMANDS.find((c) => c.name === name)!;
const parseArgsForTest = (name: string, args: string[]) => parseFlags(byName(name), args);
const trainArgs = (...extra: string[]) => ['--data', 'data', '--preset', 'tiny', '--out', 'out', ...extra];

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout: new Capture(), stderr, progress: silentProgress, cwd: dir });
  return { code, err: stderr.text };
}

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

test('preset < config file < flags; every source recorded; decayEpoch scales with epochs', () => {
  const cpu = presetByName('cpu').normal;
  assert.deepEqual(resolveSettings(cpu, 1).sources, {
    epochs: 'preset',
    lr: 'preset',
    batch: 'preset',
    seed: 'preset',
    weightDecay: 'preset',
    decayEpoch: 'preset',
  });
  assert.deepEqual(resolveSettings(cpu, 1).schedule, cpu, 'no overrides: the preset exactly');
  const r = resolveSettings(cpu, 1, {
    config: { epochs: 10, lr: 0.01, batch: 4, weightDecay: 0 },
    configFile: 'run.yaml',
    flags: { epochs: 20, seed: 7 },
  });
  assert.deepEqual(
    { ...r.schedule },
    { ...cpu, epochs: 20, lr: 0.01, batchSize: 4, weightDecay: 0, decayEpoch: 16 },
    'cpu decays at 32 of 40 epochs, so at 16 of 20',
  );
  assert.equal(r.seed, 7);
  assert.deepEqual(trainingRecord(r), {
    epochs: 20,
    lr: 0.01,
    batchSize: 4,
    seed: 7,
    weightDecay: 0,
    decayEpoch: 16,
    decayFactor: cpu.decayFactor,
    sources: {
      epochs: 'flag',
      lr: 'config',
      batch: 'config',
      seed: 'flag',
      weightDecay: 'config',
      decayEpoch: 'scaled',
    },
    configFile: 'run.yaml',
  });
  const explicit = resolveSettings(cpu, 1, { config: { decayEpoch: 5 }, flags: { epochs: 20 } });
  assert.equal(explicit.schedule.decayEpoch, 5);
  assert.equal(explicit.sources.decayEpoch, 'config');
});

test('flags and a JSON or YAML config reach the train and finetune options', () => {
  const yaml = write('run.yaml', '# a run\nepochs: 3\nlr: 0.0005\nweightDecay: 0\n');
  const t = parseTrainOptions(
    parseArgsForTest('train', trainArgs('--config', yaml, '--lr', '2e-3', '--seed', '9')),
    ctx,
  );
  assert.deepEqual(t.settings, {
    config: { epochs: 3, lr: 0.0005, weightDecay: 0 },
    configFile: 'run.yaml',
    flags: { lr: 0.002, seed: 9 },
  });
  const json = write('run.json', '{ "batch": 2, "seed": 4 }');
  const f = parseFinetuneOptions(
    parseArgsForTest('finetune', [
      '--from',
      'parent.tar.gz',
      '--data',
      'data',
      '--loss',
      'img',
      '--out',
      'ft',
      '--config',
      json,
      '--epochs',
      '2',
    ]),
    ctx,
  );
  assert.deepEqual(f.settings, { config: { batch: 2, seed: 4 }, configFile: 'run.json', flags: { epochs: 2 } });
  assert.equal(parseTrainOptions(parseArgsForTest('train', trainArgs()), ctx).settings, undefined, 'none given');
});

test('bad flag values: LW_TRAINER_BAD_VALUE naming the flag, exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--lr=-1'], /--lr "-1": Expected number to be greater than 0/],
    [['--lr', '0'], /--lr "0": Expected number to be greater than 0/],
    [['--lr', 'fast'], /--lr "fast": Expected a number/],
    [['--epochs', '0'], /--epochs "0"/],
    [['--epochs', '2.5'], /--epochs "2.5": Expected integer/],
    [['--batch', '99999'], /--batch "99999"/],
    [['--seed=-3'], /--seed "-3"/],
  ];
  for (const [flags, message] of cases) {
    const r = await cli(['train', ...trainArgs(...flags)]);
    assert.equal(r.code, 2, flags.join(' '));
    assert.match(r.err, /^error LW_TRAINER_BAD_VALUE: /, flags.join(' '));
    assert.match(r.err, message, flags.join(' '));
  }
});

test('bad config files: LW_TRAINER_CONFIG naming the file and the key, exit 2', async () => {
  const cases: [string, string, RegExp][] = [
    [
      'unknown.yaml',
      'epochs: 3\nlearningRate: 0.1\n',
      /unknown\.yaml: unknown key "learningRate" \(known: epochs, lr, /,
    ],
    ['negative.json', '{ "lr": -0.1 }', /negative\.json: lr: Expected number to be greater than 0/],
    ['string.yaml', 'epochs: many\n', /string\.yaml: epochs: Expected integer/],
    ['broken.json', '{ "epochs": 3', /broken\.json: not valid JSON/],
    ['broken.yml', 'epochs: [3\n', /broken\.yml: not valid YAML/],
    ['list.yaml', '- 1\n- 2\n', /list\.yaml: must hold an object of settings/],
  ];
  for (const [name, text, message] of cases) {
    const r = await cli(['train', ...trainArgs('--config', write(name, text))]);
    assert.equal(r.code, 2, name);
    assert.match(r.err, /^error LW_TRAINER_CONFIG: /, name);
    assert.match(r.err, message, name);
  }
  try {
    parseTrainOptions(parseArgsForTest('train', trainArgs('--config', 'unknown.yaml')), ctx);
    assert.fail('must throw');
  } catch (e) {
    assert.ok(isTrainerError(e, 'LW_TRAINER_CONFIG'));
    assert.equal(e.details['key'], 'learningRate');
  }
  const missing = await cli(['train', ...trainArgs('--config', 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /LW_TRAINER_BAD_VALUE: --config: no file at/);
});

test('--resume must repeat the run’s settings (pinned in the work folder); an old work folder resumes as is', () => {
  const work = join(dir, 'work');
  mkdirSync(work);
  const tiny = presetByName('tiny').normal;
  const record = (flags: SettingOverrides) => trainingRecord(resolveSettings(tiny, 1, { flags }));
  pinSettings(work, record({ epochs: 3, seed: 4 }), true); // no settings.json yet: a folder from before
  pinSettings(work, record({ epochs: 3, seed: 4 }), false);
  pinSettings(work, record({ epochs: 3, seed: 4 }), true);
  assert.throws(
    () => pinSettings(work, record({ epochs: 3, seed: 5 }), true),
    (e: unknown) => isTrainerError(e, 'LW_TRAINER_BAD_VALUE') && /seed 4 → 5/.test(e.message),
  );
  assert.throws(() => pinSettings(work, record({ epochs: 4, seed: 4 }), true), /epochs 3 → 4/);
  pinSettings(work, record({ epochs: 8, seed: 2 }), false); // a fresh run re-pins
  pinSettings(work, record({ epochs: 8, seed: 2 }), true);
});
