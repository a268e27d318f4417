import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScoreAggregator } from '../src/ingest/aggregator.js';
import type { ScoresStore } from '../src/store/scores-store.js';
import type { ScoreAggregateRow } from '../src/store/types.js';

function fakeStore(failTimes: number): { store: Pick<ScoresStore, 'add'>; written: ScoreAggregateRow[][] } {
  const written: ScoreAggregateRow[][] = [];
  let fails = failTimes;
  const store = {
    async add(rows: ScoreAggregateRow[]) {
      if (fails-- > 0) throw new Error('db down');
      written.push(rows.map((r) => ({ ...r })));
    },
  };
  return { store, written };
}

test('scores fold into one row per device/camera/minute', async () => {
  const { store, written } = fakeStore(0);
  const agg = new ScoreAggregator(store);
  const m = Date.UTC(2026, 0, 1, 10, 0);
  agg.addScore('d', 'c1', m + 1, 0.2);
  agg.addScore('d', 'c1', m + 59_999, 0.6);
  agg.addScore('d', 'c1', m + 60_000, 0.1); // next minute
  agg.addScore('d', 'c2', m, 0.3);
  agg.addFlagged('d', 'c1', m + 5);
  assert.equal(agg.size, 3);
  assert.equal(await agg.flush(), 3);
  assert.equal(agg.size, 0);
  const first = written[0]!.find((r) => r.camera === 'c1' && r.minute.getTime() === m)!;
  assert.deepEqual(
    { count: first.count, sum: first.sum, max: first.max, flagged: first.flagged },
    { count: 2, sum: 0.8, max: 0.6, flagged: 1 },
  );
  assert.equal(await agg.flush(), 0);
});

test('a failed flush keeps the rows and merges them with newer scores', async () => {
  const { store, written } = fakeStore(1);
  const agg = new ScoreAggregator(store);
  const m = Date.UTC(2026, 0, 1, 10, 0);
  agg.addScore('d', 'c', m, 0.5);
  await assert.rejects(agg.flush(), /db down/);
  agg.addScore('d', 'c', m, 0.7);
  await agg.flush();
  assert.equal(written.length, 1);
  assert.deepEqual(
    written[0]!.map((r) => [r.count, r.sum, r.max]),
    [[2, 1.2, 0.7]],
  );
});

test('flag-only minutes are written with max 0 (no scores seen)', async () => {
  const { store, written } = fakeStore(0);
  const agg = new ScoreAggregator(store);
  agg.addFlagged('d', 'c', 0);
  await agg.flush();
  assert.deepEqual(
    written[0]!.map((r) => [r.count, r.max, r.flagged]),
    [[0, 0, 1]],
  );
});
