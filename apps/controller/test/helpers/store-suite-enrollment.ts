/**
 * Conformance (both backends): enrollment tokens are single use, expire, can be revoked, and trading one creates or
 * re-keys the device in the same transaction; one-time passwords; user role/scope updates; device delete keeps the
 * events and blocks reuse of the id.
 */
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';
import type { DeviceRow, EnrollmentRow } from '../../src/store/types.js';
import { newEvent } from './store-suite.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

const token = (over: Partial<EnrollmentRow> = {}): EnrollmentRow => ({
  id: 'tok-1',
  tokenHash: 'a'.repeat(64),
  line: 'line-1',
  site: 'plant-a',
  device: 'dev-e',
  name: 'Device E',
  createdAt: new Date(T0),
  expiresAt: new Date(T0 + 60_000),
  createdBy: 'admin',
  usedAt: null,
  usedBy: null,
  revokedAt: null,
  ...over,
});

const device = (credentialHash: string): DeviceRow => ({
  id: 'dev-e',
  name: 'Device E',
  site: 'plant-a',
  line: 'line-1',
  credentialHash,
  createdAt: new Date(T0),
  disabledAt: null,
});

type T = (title: string, fn: () => Promise<void>) => void;
type WithStore = (fn: (s: Store) => Promise<void>) => Promise<void>;

export function enrollmentStoreTests(t: T, withStore: WithStore): void {
  t('enrollment: a token is consumed once, creating the device in the same transaction', async () => {
    await withStore(async (s) => {
      await s.enrollment.create(token());
      assert.deepEqual(await s.enrollment.findByHash('a'.repeat(64)), token());
      const at = new Date(T0 + 1000);
      assert.equal(await s.enrollment.consume('tok-1', at, 'host-1', device('h1')), 'created');
      assert.equal((await s.devices.find('dev-e'))?.credentialHash, 'h1');
      const used = await s.enrollment.find('tok-1');
      assert.deepEqual([used?.usedAt, used?.usedBy], [at, 'host-1']);
      // Second use: nothing changes, the device keeps the first credentials.
      assert.equal(await s.enrollment.consume('tok-1', at, 'host-2', device('h2')), null);
      assert.equal((await s.devices.find('dev-e'))?.credentialHash, 'h1');
      assert.equal((await s.enrollment.find('tok-1'))?.usedBy, 'host-1');
    });
  });

  t('enrollment: expired and revoked tokens are not consumed; a token for an existing device re-keys it', async () => {
    await withStore(async (s) => {
      await s.enrollment.create(token());
      assert.equal(await s.enrollment.consume('tok-1', new Date(T0 + 60_000), null, device('h1')), null);
      assert.equal(await s.devices.find('dev-e'), null);
      await s.enrollment.create(token({ id: 'tok-2', tokenHash: 'b'.repeat(64) }));
      assert.ok((await s.enrollment.revoke('tok-2', new Date(T0 + 5)))?.revokedAt);
      assert.equal(await s.enrollment.consume('tok-2', new Date(T0 + 10), null, device('h1')), null);
      assert.equal(await s.enrollment.revoke('nope', new Date(T0)), null);

      await s.devices.create(device('old'));
      await s.devices.disable('dev-e', new Date(T0));
      await s.enrollment.create(token({ id: 'tok-3', tokenHash: 'c'.repeat(64) }));
      assert.equal(await s.enrollment.consume('tok-3', new Date(T0 + 10), null, device('new')), 'rekeyed');
      const d = await s.devices.find('dev-e');
      assert.deepEqual([d?.credentialHash, d?.disabledAt], ['new', null]);
      // A used token cannot be revoked afterwards.
      assert.equal((await s.enrollment.revoke('tok-3', new Date(T0 + 20)))?.revokedAt, null);
      assert.deepEqual((await s.enrollment.list()).map((r) => r.id).sort(), ['tok-1', 'tok-2', 'tok-3']);
    });
  });

  t('users: one-time passwords, role and line scope', async () => {
    await withStore(async (s) => {
      const base = { passwordHash: 'h', role: 'qa' as const, lines: [], createdAt: new Date(T0) };
      await s.users.create({ ...base, id: 'u1', username: 'bob' });
      await s.users.create({ ...base, id: 'u2', username: 'ann', mustChangePassword: true });
      assert.deepEqual(
        (await s.users.list()).map((u) => [u.username, u.mustChangePassword]),
        [
          ['ann', true],
          ['bob', false],
        ],
      );
      await s.users.updatePassword('u1', 'h2', true);
      assert.equal((await s.users.find('u1'))?.mustChangePassword, true);
      await s.users.updatePassword('u1', 'h3');
      assert.equal((await s.users.find('u1'))?.mustChangePassword, false);
      const up = await s.users.update('u1', { role: 'admin', lines: ['line-2'] });
      assert.deepEqual([up?.role, up?.lines], ['admin', ['line-2']]);
      assert.deepEqual((await s.users.update('u1', { lines: [] }))?.role, 'admin');
      assert.equal(await s.users.update('nope', { role: 'qa' }), null);
    });
  });

  t('devices: re-key, enable, delete keeps events and marks the id as used', async () => {
    await withStore(async (s) => {
      await s.devices.create(device('h1'));
      assert.equal(await s.devices.setCredential('dev-e', 'h2'), true);
      assert.equal(await s.devices.setCredential('nope', 'h2'), false);
      await s.devices.disable('dev-e', new Date(T0));
      assert.equal((await s.devices.enable('dev-e'))?.disabledAt, null);
      assert.equal(await s.devices.enable('nope'), null);
      assert.equal(await s.devices.hasHistory('dev-e'), false);
      await s.events.insertOnce(newEvent({ deviceId: 'dev-e' }));
      await s.fleet.upsert('dev-e', { online: true, lastSeen: new Date(T0) }, new Date(T0));
      assert.equal(await s.devices.delete('dev-e'), true);
      assert.equal(await s.devices.find('dev-e'), null);
      assert.equal(await s.fleet.get('dev-e'), null);
      assert.equal(await s.devices.hasHistory('dev-e'), true);
      assert.equal(await s.devices.delete('dev-e'), false);
    });
  });
}
