import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignSplits, buildSnapshot, kindOf, splitHash } from '../src/datasets/snapshot.js';
import type { LabelledEvent } from '../src/store/jobs-store.js';

const ev = (id: string, labelStatus: 'confirmed' | 'rejected', mask: boolean, camera = 'cam-1'): LabelledEvent => ({
  id,
  line: 'line-1',
  camera,
  labelStatus,
  frameRef: `f-${id}`,
  frameWidth: 32,
  frameHeight: 24,
  maskRef: mask ? `m-${id}` : null,
});

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i.toString().padStart(4, '0')}`);

test('kinds: confirmed+mask → px, confirmed → img, rejected → normal (a rejected event keeps no mask)', () => {
  assert.equal(kindOf(ev('a', 'confirmed', true)), 'px');
  assert.equal(kindOf(ev('a', 'confirmed', false)), 'img');
  assert.equal(kindOf(ev('a', 'rejected', true)), 'normal');
  const s = buildSnapshot(
    'ds-1',
    [ev('p', 'confirmed', true), ev('i', 'confirmed', false), ev('n', 'rejected', true)],
    0.25,
  );
  const byId = new Map(s.items.map((i) => [i.eventId, i]));
  assert.deepEqual([byId.get('p')?.kind, byId.get('p')?.label, byId.get('p')?.maskRef], ['px', 1, 'm-p']);
  assert.deepEqual([byId.get('i')?.kind, byId.get('i')?.label, byId.get('i')?.maskRef], ['img', 1, null]);
  assert.deepEqual([byId.get('n')?.kind, byId.get('n')?.label, byId.get('n')?.maskRef], ['normal', 0, null]);
  assert.ok(s.items.every((i) => i.snapshotId === 'ds-1' && i.frameRef === `f-${i.eventId}`));
});

test('split is deterministic: independent of input order and of the snapshot id', () => {
  const events = [
    ...ids('px', 40).map((id) => ev(id, 'confirmed', true)),
    ...ids('n', 60).map((id) => ev(id, 'rejected', false)),
  ];
  const a = buildSnapshot('ds-a', events, 0.25);
  const b = buildSnapshot('ds-b', [...events].reverse(), 0.25);
  assert.deepEqual(
    a.items.map((i) => [i.eventId, i.split]),
    b.items.map((i) => [i.eventId, i.split]),
  );
  assert.equal(a.digest, b.digest, 'digest covers content, not the snapshot id or order');
  assert.deepEqual(a.counts, b.counts);
  const changed = buildSnapshot('ds-c', events.slice(1), 0.25);
  assert.notEqual(changed.digest, a.digest);
});

test('split: an event keeps its split as the data grows (hash-based), roughly the configured fraction', () => {
  const small = assignSplits(ids('e', 200), 0.25);
  const big = assignSplits(ids('e', 2000), 0.25);
  let moved = 0;
  for (const [id, split] of small) if (big.get(id) !== split) moved++;
  // Only the class-minimum fix-ups (lowest / highest hash) may differ between the two.
  assert.ok(moved <= 2, `moved ${moved}`);
  const held = [...big.values()].filter((s) => s === 'heldout').length;
  assert.ok(held > 2000 * 0.2 && held < 2000 * 0.3, `held out ${held} of 2000`);
  assert.ok(splitHash('x') >= 0 && splitHash('x') < 1);
});

test('split: stratified per class, at least one held out and one trained where a class has two or more', () => {
  // Pick ids that all hash above the fraction, so the plain rule would hold none out.
  const high = ids('h', 400)
    .filter((id) => splitHash(id) >= 0.25)
    .slice(0, 3);
  const s = buildSnapshot(
    'ds',
    [...high.map((id) => ev(id, 'confirmed', true)), ev('only-normal', 'rejected', false)],
    0.25,
  );
  assert.equal(s.counts.heldout.px, 1);
  assert.equal(s.counts.train.px, 2);
  // A single item trains.
  assert.equal(s.counts.train.normal, 1);
  assert.equal(s.counts.heldout.normal, 0);
  const low = ids('l', 400)
    .filter((id) => splitHash(id) < 0.25)
    .slice(0, 3);
  const t = buildSnapshot(
    'ds',
    low.map((id) => ev(id, 'confirmed', false)),
    0.25,
  );
  assert.equal(t.counts.train.img, 1, 'one trains even when every hash falls in the held-out range');
  assert.equal(t.counts.heldout.img, 2);
  const mixed = buildSnapshot(
    'ds',
    [
      ...ids('a', 30).map((id) => ev(id, 'confirmed', true)),
      ...ids('b', 30).map((id) => ev(id, 'confirmed', false)),
      ...ids('c', 30).map((id) => ev(id, 'rejected', false)),
    ],
    0.25,
  );
  for (const k of ['px', 'img', 'normal'] as const) {
    assert.ok(mixed.counts.heldout[k] >= 1 && mixed.counts.train[k] >= 1, k);
    assert.equal(mixed.counts.heldout[k] + mixed.counts.train[k], 30);
  }
});
