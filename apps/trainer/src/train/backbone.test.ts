import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetByName } from '@linewatch/adtr';
import { isBackboneError } from '@linewatch/backbones';
import type { CliContext } from '../cli/command.js';
import { parseBackbone } from '../commands/train.js';
import { isTrainerError } from '../errors.js';
import { createProgress } from '../progress.js';
import { backboneModel, resolveBackbone } from './backbone.js';
import { scoringRule } from './package.js';

const sink = { write: () => true };
const ctx: CliContext = { stdout: sink, stderr: sink, progress: createProgress(sink), cwd: process.cwd() };

test('--backbone nsfwjs:<model> picks another model bundled in nsfwjs; an unknown one is a coded error', () => {
  assert.deepEqual(parseBackbone('nsfwjs:inception_v3', ctx), { kind: 'nsfwjs', model: 'inception_v3' });
  assert.deepEqual(parseBackbone('nsfwjs', ctx), { kind: 'nsfwjs' });
  assert.throws(
    () => parseBackbone('nsfwjs:resnet50', ctx),
    (e: unknown) => isTrainerError(e) && e.code === 'LW_TRAINER_BAD_VALUE' && /nsfwjs:inception_v3/.test(e.message),
  );
});

test('the semantic preset resolves its own taps on MobileNetV2 and its altTaps on InceptionV3', () => {
  const model = presetByName('semantic').model;
  const mobilenet = resolveBackbone('nsfwjs', model);
  assert.equal(mobilenet.id, 'mobilenetv2-nsfwjs-4.4.0');
  assert.deepEqual(mobilenet.taps, model.taps);
  assert.equal(backboneModel(mobilenet, model), model, 'the preset is used as is');

  const inception = resolveBackbone('nsfwjs:inception_v3', model);
  assert.equal(inception.id, 'inception_v3-nsfwjs-4.4.0');
  assert.deepEqual(inception.taps, model.altTaps?.[0]);
  const trained = backboneModel(inception, model);
  assert.deepEqual(trained.taps, ['mixed5', 'mixed7'], 'the package records the taps it used');
  assert.ok(inception.plan.taps.every((t) => t.shape[0] === 768 && t.shape[1] >= 2));
});

test("a preset whose taps and altTaps a backbone lacks fails on the preset's own tap names", () => {
  const model = { ...presetByName('semantic').model, altTaps: [['no_such_layer']] };
  assert.throws(
    () => resolveBackbone('nsfwjs:inception_v3', model),
    (e: unknown) => isBackboneError(e) && e.code === 'LW_BACKBONE_TAP' && /block_5_add/.test(e.message),
  );
});

test('the manifest scoring rule: the whole-map window of the semantic preset is the map mean, cpu pools a max', () => {
  assert.deepEqual(scoringRule(presetByName('semantic').model), { rule: 'map-mean', pool: 128 });
  assert.deepEqual(scoringRule(presetByName('cpu').model), { rule: 'pooled-max', pool: 16 });
});
