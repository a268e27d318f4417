/**
 * Reliability: the controller is SIGKILLed while events stream in at load, then restarted on the same data dir.
 * An outbox-like publisher (keeps each event until its ack, resends the unacked on reconnect) must end with every
 * event acked, and the database must hold each (device, seq) exactly once: acks are only sent after the commit, so
 * nothing acked can be lost, and redeliveries of committed-but-unacked events must not create second rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import { freePort, startController, stopController, type ControllerProcess } from './helpers/controller-process.js';
import { eventPub } from './helpers/messages.js';
import { provision, waitFor } from './helpers/mqtt.js';
import { OutboxPublisher } from './helpers/outbox-publisher.js';

const TOTAL = 400; // events in the stream
const WINDOW = 64; // unacked events the publisher allows itself before waiting (an outbox's in-flight limit)
const KILL_AFTER = 120; // acked events before the SIGKILL

test('kill -9 during ingest at load: nothing acked is lost, nothing stored twice', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lw-crash-'));
  const dbFile = join(dataDir, 'linewatch.db');
  let ctl: ControllerProcess | null = null;
  let pub: OutboxPublisher | null = null;
  try {
    // Provision straight into the database the child will open (migrations run here first, then are found applied).
    const store = await openSqliteStore({ path: dbFile, busyTimeoutMs: 5000 });
    const device = await provision(store, 'crash-1');
    await store.close();

    const spec = { env: process.env, dataDir, httpPort: await freePort(), mqttPort: await freePort() };
    ctl = await startController(spec);
    pub = new OutboxPublisher(device);
    await pub.connect(spec.mqttPort);

    const pubs = await Promise.all(Array.from({ length: TOTAL }, (_, i) => eventPub(device, i + 1)));
    const idOf = (seq: number) => `evt-${device.id}-${seq}`.padEnd(8, '0');
    let next = 1;
    // The producer keeps going while the controller is down: events pile up in the outbox, as on a real line.
    const producer = (async () => {
      while (next <= TOTAL) {
        if (pub.pending.size < WINDOW || !pub.connected) {
          pub.send(idOf(next), pubs[next - 1]!);
          next += 1;
          if (!pub.connected) await new Promise((r) => setTimeout(r, 5));
        } else {
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    })();

    await waitFor(() => pub!.acked.size >= KILL_AFTER, 30_000, `${KILL_AFTER} acks before the kill`);
    const ackedBeforeKill = new Set(pub.acked.keys());
    ctl.child.kill('SIGKILL');
    const gone = await ctl.exited;
    assert.equal(gone.signal, 'SIGKILL', ctl.output());
    pub.drop();
    const unackedAtKill = [...pub.pending.keys()];
    assert.ok(unackedAtKill.length > 0, 'the kill hit events in flight (else this test proves nothing)');
    // Acked before the kill ⇒ committed: check the file the dead process left, before anything can rewrite it.
    {
      const db = new Database(dbFile, { readonly: true });
      const seqs = new Set(
        (
          db.prepare('SELECT "sequence" FROM "Event" WHERE "deviceId" = ?').all(device.id) as { sequence: number }[]
        ).map((r) => r.sequence),
      );
      db.close();
      for (const id of ackedBeforeKill)
        assert.ok(seqs.has(Number(id.split('-').pop())), `${id} was acked but is not in the database`);
    }

    ctl = await startController(spec);
    await pub.connect(spec.mqttPort); // resends every unacked event, including those the dead process had committed
    await producer;
    await waitFor(() => pub!.acked.size === TOTAL, 60_000, 'every event acked after the restart');
    assert.equal(pub.pending.size, 0);
    for (const id of unackedAtKill)
      assert.ok(pub.acked.has(id), `${id} (unacked at the kill) was redelivered and acked`);
    assert.ok(pub.publishes > TOTAL, 'some events were published more than once');
    t.diagnostic(`unacked at kill: ${unackedAtKill.length}, publishes: ${pub.publishes} for ${TOTAL} events`);
    await pub.close();
    pub = null;
    const stopped = await stopController(ctl);
    assert.equal(stopped.code, 0, ctl.output());

    const db = new Database(dbFile, { readonly: true });
    try {
      const rows = db
        .prepare(
          'SELECT "sequence", COUNT(*) AS n FROM "Event" WHERE "deviceId" = ? GROUP BY "sequence" ORDER BY "sequence"',
        )
        .all(device.id) as { sequence: number; n: number }[];
      assert.equal(rows.length, TOTAL, 'every sequence stored');
      assert.deepEqual(
        rows.map((r) => r.sequence),
        Array.from({ length: TOTAL }, (_, i) => i + 1),
      );
      assert.deepEqual(
        rows.filter((r) => r.n !== 1),
        [],
        'no (device, seq) stored twice',
      );
      const total = db.prepare('SELECT COUNT(*) AS n FROM "Event"').get() as { n: number };
      assert.equal(total.n, TOTAL, 'no stray rows');
    } finally {
      db.close();
    }
  } finally {
    await pub?.close().catch(() => {});
    if (ctl) await stopController(ctl, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
