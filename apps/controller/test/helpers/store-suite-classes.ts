/**
 * Conformance (both backends): defect classes — a line's taxonomy with unique names, keys, colours and palette
 * indices; a confirmation's class; the classes a mask paints; the queue filter by class; label statistics per class;
 * the class a snapshot's labelled event carries.
 */
import assert from 'node:assert/strict';
import type { DefectClassRow } from '../../src/store/classes-store.js';
import type { Store } from '../../src/store/store.js';
import { newEvent } from './store-suite.js';

type T = (title: string, fn: () => Promise<void>) => void;
type WithStore = (fn: (s: Store) => Promise<void>) => Promise<void>;

const AT = new Date(Date.UTC(2026, 11, 3, 12));
let n = 0;
async function createClass(s: Store, line: string, name: string, color: string, key: string | null) {
  const c = await s.classes.create({ id: `cls-${++n}`, line, name, color, key, createdAt: AT });
  assert.ok(typeof c === 'object', `class ${name} created`);
  return c;
}
const mask = (eventId: string) => ({
  eventId,
  ref: 'c'.repeat(64),
  width: 64,
  height: 48,
  authorId: 'u1',
  createdAt: AT,
});
const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id).sort();

export function classStoreTests(t: T, withStore: WithStore): void {
  t(
    'classes: lowest free palette index per line; name, key and colour unique per line; update and delete',
    async () => {
      await withStore(async (s) => {
        const scratch = await createClass(s, 'line-1', 'scratch', '#00aa00', '1');
        const dent = await createClass(s, 'line-1', 'dent', '#0000ff', null);
        const other = await createClass(s, 'line-2', 'scratch', '#00aa00', '1');
        assert.deepEqual([scratch.paletteIndex, dent.paletteIndex, other.paletteIndex], [1, 2, 1]);
        for (const [name, color, key] of [
          ['scratch', '#123456', '2'],
          ['crack', '#00aa00', '3'],
          ['crack', '#123456', '1'],
        ] as const) {
          const r = await s.classes.create({ id: `cls-${++n}`, line: 'line-1', name, color, key, createdAt: AT });
          assert.equal(r, 'taken', `${name} ${color} ${key}`);
        }
        assert.equal(await s.classes.update(dent.id, { key: '1', updatedAt: AT }), 'taken');
        const renamed = await s.classes.update(dent.id, { name: 'dent-deep', key: '2', updatedAt: AT });
        assert.ok(typeof renamed === 'object' && renamed !== null);
        assert.deepEqual([renamed.name, renamed.key, renamed.paletteIndex], ['dent-deep', '2', 2]);
        assert.equal(await s.classes.update('nope', { name: 'x', updatedAt: AT }), null);
        assert.deepEqual(
          (await s.classes.list('line-1')).map((c) => c.name),
          ['scratch', 'dent-deep'],
        );
        assert.equal(await s.classes.delete(scratch.id), true);
        assert.equal(await s.classes.delete(scratch.id), false);
        const next = await createClass(s, 'line-1', 'crack', '#ff00ff', '1');
        assert.equal(next.paletteIndex, 1, 'a freed index is reused');
        assert.deepEqual(ids(await s.classes.listForLines(['line-2'])), [other.id]);
      });
    },
  );

  t('classes: a confirmation names a class, a mask paints classes; filter, usage and stats follow', async () => {
    await withStore(async (s) => {
      const scratch = await createClass(s, 'line-1', 'scratch', '#00aa00', '1');
      const dent = await createClass(s, 'line-1', 'dent', '#0000ff', '2');
      const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => s.events.insertOnce(newEvent())));
      const [ea, eb, ec, ed] = [a!.event, b!.event, c!.event, d!.event];
      assert.equal(ea.defectClassId, null, 'a new event has no class');
      const confirmed = await s.events.label(ea.id, 'confirmed', 'u1', AT, scratch.id);
      assert.equal(confirmed?.defectClassId, scratch.id);
      await s.events.label(eb.id, 'confirmed', 'u1', AT, null);
      await s.events.saveMask(mask(eb.id), [
        { classId: dent.id, pixels: 40 },
        { classId: scratch.id, pixels: 9 },
      ]);
      assert.equal((await s.events.label(eb.id, 'confirmed', 'u1', AT))?.defectClassId, null, 'undefined keeps it');
      await s.events.label(ec.id, 'confirmed', 'u1', AT);
      await s.events.label(ed.id, 'rejected', 'u1', AT, null);
      assert.deepEqual(await s.events.maskClasses(eb.id), [
        { classId: dent.id, pixels: 40 },
        { classId: scratch.id, pixels: 9 },
      ]);
      const byClass = async (defectClass: string | null) => ids(await s.events.list({ defectClass, limit: 50 }));
      assert.deepEqual(await byClass(scratch.id), [ea.id, eb.id].sort());
      assert.deepEqual(await byClass(dent.id), [eb.id]);
      assert.deepEqual(await byClass(null), [ec.id], 'unclassified: confirmed, no class, no mask classes');
      assert.deepEqual(await s.classes.usage(scratch.id), { confirmations: 1, masks: 1 });
      const stats = await s.events.classStats(['line-1']);
      const conf = new Map(stats.confirmations.map((r) => [r.defectClassId, r.count]));
      assert.deepEqual([conf.get(scratch.id), conf.get(null)], [1, 2]);
      assert.deepEqual(
        stats.masks.sort((x, y) => (x.classId < y.classId ? -1 : 1)),
        [
          { classId: scratch.id, count: 1 },
          { classId: dent.id, count: 1 },
        ].sort((x, y) => (x.classId < y.classId ? -1 : 1)),
      );
      assert.deepEqual(await s.events.classStats(['line-9']), { confirmations: [], masks: [] });
      // A new mask replaces the classes of the old one.
      await s.events.saveMask(mask(eb.id), [{ classId: scratch.id, pixels: 3 }]);
      assert.deepEqual(await byClass(dent.id), []);
      await snapshotClasses(s, { ea, eb, ec, ed }, { scratch, dent });
    });
  });
}

async function snapshotClasses(
  s: Store,
  e: Record<'ea' | 'eb' | 'ec' | 'ed', { id: string }>,
  c: Record<'scratch' | 'dent', DefectClassRow>,
): Promise<void> {
  const byId = new Map((await s.jobs.labelledEvents('line-1')).map((x) => [x.id, x.defectClass]));
  assert.equal(byId.get(e.ea.id), c.scratch.name, "the confirmation's class");
  assert.equal(byId.get(e.eb.id), c.scratch.name, 'no confirmation class: the class the mask paints most');
  assert.equal(byId.get(e.ec.id), null, 'unclassified');
  assert.equal(byId.get(e.ed.id), null, 'rejected: a normal');
}
