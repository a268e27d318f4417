/**
 * Conformance (both backends): score sketch windows are stored once per (device, camera, model version, start) with
 * their counts intact, filtered by camera, version and time; confirmed defect scores come from labelled events only;
 * threshold revisions are unique per camera and listed newest first.
 */
import assert from 'node:assert/strict';
import type { SketchWindowRow, ThresholdRevisionRow } from '../../src/store/calibration-store.js';
import { isUniqueViolation } from '../../src/store/unique-violation.js';
import type { Store } from '../../src/store/store.js';
import { newEvent } from './store-suite.js';

type T = (title: string, fn: () => Promise<void>) => void;
type WithStore = (fn: (s: Store) => Promise<void>) => Promise<void>;

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

const win = (over: Partial<SketchWindowRow> = {}): SketchWindowRow => ({
  id: `w-${Math.random().toString(36).slice(2, 10)}`,
  deviceId: 'dev-a',
  line: 'line-1',
  camera: 'cam-1',
  modelVersion: 'm1',
  start: new Date(T0),
  durationMs: 60_000,
  threshold: 0.5,
  frames: 9,
  flagged: 2,
  sketch: { zero: 1, offset: -40, counts: [3, 0, 0, 5] },
  frameStats: { frozen: 1, dark: 0, saturated: 2, lumaMean: 97.5 },
  receivedAt: new Date(T0 + 61_000),
  ...over,
});

const rev = (revision: number, over: Partial<ThresholdRevisionRow> = {}): ThresholdRevisionRow => ({
  id: `r-${revision}-${Math.random().toString(36).slice(2, 8)}`,
  deviceId: 'dev-a',
  camera: 'cam-1',
  revision,
  threshold: 0.4 + revision / 10,
  modelVersion: 'm1',
  targetFar: 0.01,
  expectedFlagRate: 0.012,
  currentFlagRate: 0.1,
  basisFrames: 2000,
  reason: `why ${revision}`,
  authorId: 'u1',
  authorName: 'eng',
  restoredFrom: null,
  createdAt: new Date(T0 + revision),
  ...over,
});

export function calibrationStoreTests(t: T, withStore: WithStore): void {
  t('calibration: sketch windows stored once, counts intact, filtered by camera, version and time', async () => {
    await withStore(async (s) => {
      const a = win();
      assert.deepEqual(await s.calibration.insertWindow(a), { created: true });
      assert.deepEqual(await s.calibration.insertWindow({ ...a, id: 'other-id' }), { created: false });
      await s.calibration.insertWindow(win({ start: new Date(T0 + 60_000), modelVersion: 'm2' }));
      await s.calibration.insertWindow(win({ camera: 'cam-2', start: new Date(T0 + 120_000), frameStats: null }));
      assert.equal((await s.calibration.windows({ deviceId: 'dev-a', camera: 'cam-2' }))[0]?.frameStats, null);
      assert.deepEqual(await s.calibration.windows({ deviceId: 'dev-a', camera: 'cam-1', modelVersion: 'm1' }), [a]);
      const since = await s.calibration.windows({ deviceId: 'dev-a', camera: 'cam-1', since: new Date(T0 + 1) });
      assert.deepEqual(
        since.map((w) => w.modelVersion),
        ['m2'],
      );
      assert.deepEqual(
        (await s.calibration.cameras(new Date(T0))).map((c) => [c.camera, c.modelVersion]),
        [
          ['cam-1', 'm2'],
          ['cam-2', 'm1'],
        ],
      );
    });
  });

  t('calibration: confirmed defect scores of one camera, version and period only', async () => {
    await withStore(async (s) => {
      const mk = async (score: number, status: 'confirmed' | 'rejected' | null, over = {}) => {
        const e = newEvent({ score, ts: new Date(T0 + 1000), ...over });
        await s.events.insertOnce(e);
        if (status) await s.events.label(e.id, status, 'u1', new Date(T0 + 2000));
      };
      await mk(3, 'confirmed');
      await mk(4, 'rejected');
      await mk(5, null);
      await mk(6, 'confirmed', { camera: 'cam-2' });
      await mk(7, 'confirmed', { modelVersion: 'm2' });
      await mk(8, 'confirmed', { ts: new Date(T0 + 99_000) });
      const got = await s.calibration.confirmedScores('dev-a', 'cam-1', 'm1', new Date(T0), new Date(T0 + 10_000));
      assert.deepEqual(got, [3]);
    });
  });

  t('calibration: threshold revisions unique per camera, newest first, latest per camera', async () => {
    await withStore(async (s) => {
      await s.calibration.addRevision(rev(1));
      await s.calibration.addRevision(rev(2, { restoredFrom: 1 }));
      await s.calibration.addRevision(rev(1, { camera: 'cam-2' }));
      await assert.rejects(s.calibration.addRevision(rev(2)), (e: unknown) => isUniqueViolation(e));
      const list = await s.calibration.revisions('dev-a', 'cam-1');
      assert.deepEqual(
        list.map((r) => [r.revision, r.restoredFrom, r.reason]),
        [
          [2, 1, 'why 2'],
          [1, null, 'why 1'],
        ],
      );
      assert.equal((await s.calibration.latestRevision('dev-a', 'cam-1'))?.revision, 2);
      assert.equal(await s.calibration.latestRevision('dev-a', 'cam-9'), null);
      assert.deepEqual((await s.calibration.latestRevisions()).map((r) => [r.camera, r.revision]).sort(), [
        ['cam-1', 2],
        ['cam-2', 1],
      ]);
    });
  });
}
