import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSnapshot } from '../src/datasets/snapshot.js';
import { datasetItemView } from '../src/jobs/view.js';
import type { LabelledEvent } from '../src/store/types.js';

const event = (id: string, over: Partial<LabelledEvent> = {}): LabelledEvent => ({
  id,
  line: 'line-1',
  camera: 'cam-1',
  labelStatus: 'confirmed',
  frameRef: 'f'.repeat(64),
  frameWidth: 32,
  frameHeight: 24,
  maskRef: null,
  ...over,
});

test("a snapshot item carries its event's defect class to the worker's manifest (normals none)", () => {
  const events = [
    event('a', { defectClass: 'scratch', maskRef: 'm'.repeat(64) }),
    event('b', { defectClass: 'dent' }),
    event('c'),
    event('d', { labelStatus: 'rejected', defectClass: 'scratch' }),
  ];
  const { items } = buildSnapshot('snap-1', events, 0.5);
  const view = new Map(items.map((i) => [i.eventId, datasetItemView(i)]));
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((id) => [view.get(id)?.kind, view.get(id)?.defectClass]),
    [
      ['px', 'scratch'],
      ['img', 'dent'],
      ['img', null],
      ['normal', null],
    ],
  );
});

test('the snapshot digest covers the class, and a snapshot without classes keeps its digest', () => {
  const plain = [event('a'), event('b', { labelStatus: 'rejected' })];
  const before = buildSnapshot('s1', plain, 0.5).digest;
  assert.equal(
    buildSnapshot(
      's2',
      plain.map((e) => ({ ...e, defectClass: null })),
      0.5,
    ).digest,
    before,
  );
  const classed = buildSnapshot('s3', [event('a', { defectClass: 'dent' }), plain[1]!], 0.5).digest;
  assert.notEqual(classed, before);
});
