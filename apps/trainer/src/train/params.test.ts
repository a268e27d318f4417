import assert from 'node:assert/strict';
import { test } from 'node:test';
import { presetByName } from '@linewatch/adtr';
import { encodeCheckpoint } from '@linewatch/graph';
import { isTrainerError } from '../errors.js';
import { decodeParams, encodeParams, type ModelRecord } from './package.js';

test('decodeParams round-trips what encodeParams wrote', () => {
  const record: ModelRecord = {
    model: presetByName('cpu').model,
    preset: 'cpu',
    backbone: 'x',
    loss: 'norm',
    history: [{ epoch: 1, loss: 0.5, lr: 0.1 }],
  };
  const out = decodeParams(encodeParams(record, new Map([['w', Float32Array.of(1, 2)]])));
  assert.deepEqual(out.record, record);
  assert.deepEqual([...(out.params.get('w') ?? [])], [1, 2]);
});

test('decodeParams refuses a checkpoint whose meta is not a model record', () => {
  const bytes = encodeCheckpoint({ step: 0, entries: [], meta: { preset: 'cpu' } });
  assert.throws(
    () => decodeParams(bytes),
    (e: unknown) => isTrainerError(e, 'LW_TRAINER_MODEL_INCOMPATIBLE'),
  );
});
