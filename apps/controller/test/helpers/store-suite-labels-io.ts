/**
 * Conformance (both backends): label export reads reviewed events page by page in (ts, id) order within a range,
 * masks by event, samples newest first with a limit, class names with the mask's dominant class; an import's rows go
 * in one transaction — a failing row (here a duplicate device sequence) leaves none of the others, classes included.
 */
import assert from 'node:assert/strict';
import { isControllerError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { newEvent } from './store-suite.js';

type T = (title: string, fn: () => Promise<void>) => void;
type WithStore = (fn: (s: Store) => Promise<void>) => Promise<void>;

const T0 = Date.UTC(2026, 11, 3, 12, 40, 0);
const at = (s: number) => new Date(T0 + s * 1000);

export function labelsIoStoreTests(t: T, withStore: WithStore): void {
  t('labels io: reviewed events of a line by range, keyset pages in (ts, id) order; masks; samples', async () => {
    await withStore(async (s) => {
      const evs = [0, 1, 1, 2, 3, 4].map((sec, i) => newEvent({ id: `lio-${i}`, line: 'l1', ts: at(sec) }));
      for (const e of [...evs, newEvent({ line: 'l2', ts: at(1) })]) await s.events.insertOnce(e);
      for (const [i, e] of evs.entries())
        if (i !== 4) await s.events.label(e.id, i % 2 ? 'rejected' : 'confirmed', 'u', at(9));
      await s.events.saveMask({
        eventId: 'lio-0',
        ref: 'c'.repeat(64),
        width: 64,
        height: 48,
        authorId: 'u',
        createdAt: at(9),
      });
      const range = { from: at(1), to: at(4) };
      const page1 = await s.labelsIo.reviewedPage('l1', range, null, 2);
      assert.deepEqual(
        page1.map((e) => e.id),
        ['lio-1', 'lio-2'],
      );
      const page2 = await s.labelsIo.reviewedPage('l1', range, page1[1]!, 2);
      assert.deepEqual(
        page2.map((e) => e.id),
        ['lio-3'],
        'pending lio-4 is not reviewed; lio-5 is at the open end',
      );
      assert.deepEqual(
        (await s.labelsIo.reviewedPage('l1', {}, null, 10)).map((e) => e.id),
        ['lio-0', 'lio-1', 'lio-2', 'lio-3', 'lio-5'],
      );
      const masks = await s.labelsIo.masksOf(['lio-0', 'lio-2', 'nope']);
      assert.deepEqual([...masks.keys()], ['lio-0']);
      for (const [i, sec] of [5, 6, 7].entries()) {
        const { mapRef: _m, ...sample } = newEvent({ id: `lio-s${i}`, line: 'l1', ts: at(sec) });
        await s.samples.insertOnce(sample);
      }
      assert.deepEqual(
        (await s.labelsIo.samples('l1', {}, 2)).map((r) => r.id),
        ['lio-s2', 'lio-s1'],
      );
      assert.deepEqual(
        (await s.labelsIo.samples('l1', { to: at(6) }, null)).map((r) => r.id),
        ['lio-s0'],
      );
    });
  });

  t('labels io: class names by id and a masked event’s dominant class', async () => {
    await withStore(async (s) => {
      const mk = (id: string, name: string, color: string) =>
        s.classes.create({ id, line: 'l1', name, color, key: null, createdAt: at(0) });
      await mk('c-a', 'scratch', '#000001');
      await mk('c-b', 'dent', '#000002');
      const e = newEvent({ line: 'l1' });
      await s.events.insertOnce(e);
      const mask = { eventId: e.id, ref: 'd'.repeat(64), width: 64, height: 48, authorId: 'u', createdAt: at(1) };
      await s.events.saveMask(mask, [
        { classId: 'c-a', pixels: 5 },
        { classId: 'c-b', pixels: 50 },
      ]);
      const names = await s.labelsIo.classNames('l1');
      assert.deepEqual([...names.byId].sort(), [
        ['c-a', 'scratch'],
        ['c-b', 'dent'],
      ]);
      assert.equal(names.dominant.get(e.id), 'dent');
      assert.deepEqual((await s.labelsIo.classNames('l2')).byId.size, 0);
    });
  });

  t('labels io: an import is stored whole, or not at all', async () => {
    await withStore(async (s) => {
      const rows = (batch: string, dupSample: boolean) => {
        const ev = { ...newEvent({ deviceId: batch, sequence: 1, line: 'imp' }), labelStatus: 'confirmed' as const };
        const { mapRef: _m, ...sample } = newEvent({ deviceId: batch, sequence: dupSample ? 1 : 2, line: 'imp' });
        const { mapRef: _n, ...sample2 } = newEvent({ deviceId: batch, sequence: 1, line: 'imp' });
        const cls = {
          id: `cls-${batch}`,
          line: 'imp',
          name: `n-${batch}`,
          color: '#123456',
          key: null,
          paletteIndex: 1,
          createdAt: at(0),
          updatedAt: at(0),
        };
        return {
          classes: [cls],
          events: [{ ...ev, reviewerId: 'u', reviewedAt: at(1), defectClassId: cls.id }],
          masks: [{ eventId: ev.id, ref: 'e'.repeat(64), width: 64, height: 48, authorId: 'u', createdAt: at(1) }],
          samples: dupSample ? [sample, sample2] : [sample],
        };
      };
      await assert.rejects(s.labelsIo.saveImport(rows('import-bad', true)), (e: unknown) =>
        isControllerError(e, 'LW_CTRL_CONFLICT'),
      );
      assert.equal((await s.events.list({ line: 'imp', limit: 10 })).length, 0);
      assert.equal(await s.samples.count({ line: 'imp' }), 0);
      assert.deepEqual(await s.classes.list('imp'), []);
      const good = rows('import-good', false);
      await s.labelsIo.saveImport(good);
      const [stored] = await s.events.list({ line: 'imp', limit: 10 });
      assert.equal(stored?.labelStatus, 'confirmed');
      assert.equal(stored?.defectClassId, 'cls-import-good');
      assert.equal((await s.events.getMask(stored.id))?.ref, 'e'.repeat(64));
      assert.equal(await s.samples.count({ line: 'imp' }), 1);
      assert.deepEqual(
        (await s.classes.list('imp')).map((c) => c.name),
        ['n-import-good'],
      );
    });
  });
}
