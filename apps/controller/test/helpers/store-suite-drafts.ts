/**
 * Conformance (both backends): review drafts are per (event, user), replaced on save, returned byte for byte, and
 * deleted alone; a draft is not a label (the event's status, mask and label statistics do not change).
 */
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';
import { newEvent } from './store-suite.js';

type T = (title: string, fn: () => Promise<void>) => void;
type WithStore = (fn: (s: Store) => Promise<void>) => Promise<void>;

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
/** Bytes with every value 0..255, so an encoding that is not binary-safe (text, base64 slips) shows. */
const bytes = (seed: number, n = 600) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) % 256));

export function draftStoreTests(t: T, withStore: WithStore): void {
  t('drafts: one per event and user, replaced on save, bytes kept exactly', async () => {
    await withStore(async (s) => {
      const e = newEvent();
      await s.events.insertOnce(e);
      assert.equal(await s.drafts.get(e.id, 'u1'), null);
      assert.equal(await s.drafts.has(e.id, 'u1'), false);
      await s.drafts.save({ eventId: e.id, userId: 'u1', png: bytes(1), updatedAt: new Date(T0) });
      await s.drafts.save({ eventId: e.id, userId: 'u2', png: bytes(2), updatedAt: new Date(T0 + 1) });
      await s.drafts.save({ eventId: e.id, userId: 'u1', png: bytes(3, 900), updatedAt: new Date(T0 + 2) });
      const d1 = await s.drafts.get(e.id, 'u1');
      assert.ok(d1);
      assert.ok(Buffer.isBuffer(d1.png));
      assert.deepEqual(d1, { eventId: e.id, userId: 'u1', png: bytes(3, 900), updatedAt: new Date(T0 + 2) });
      assert.deepEqual((await s.drafts.get(e.id, 'u2'))?.png, bytes(2));
      assert.equal(await s.drafts.has(e.id, 'u1'), true);
      assert.equal(await s.drafts.get('other-event', 'u1'), null);
    });
  });

  t('drafts: delete removes only that user’s draft; a draft is not a label', async () => {
    await withStore(async (s) => {
      const e = newEvent();
      await s.events.insertOnce(e);
      const stats = await s.events.labelStats();
      await s.drafts.save({ eventId: e.id, userId: 'u1', png: bytes(1), updatedAt: new Date(T0) });
      await s.drafts.save({ eventId: e.id, userId: 'u2', png: bytes(2), updatedAt: new Date(T0) });
      assert.equal((await s.events.get(e.id))?.labelStatus, 'pending');
      assert.equal(await s.events.getMask(e.id), null);
      assert.deepEqual(await s.events.labelStats(), stats);
      assert.equal(await s.drafts.delete(e.id, 'u1'), true);
      assert.equal(await s.drafts.delete(e.id, 'u1'), false);
      assert.equal(await s.drafts.get(e.id, 'u1'), null);
      assert.deepEqual((await s.drafts.get(e.id, 'u2'))?.png, bytes(2));
    });
  });
}
