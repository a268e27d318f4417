import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import { defineStoreSuite, type Backend } from './helpers/store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-store-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const backend: Backend = {
  async fresh() {
    n += 1;
    const path = join(dir, `db-${n}.sqlite`);
    const open = () => openSqliteStore({ path, busyTimeoutMs: 2000 });
    return {
      store: await open(),
      reopen: open,
      async exec(sql) {
        const db = new Database(path);
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      },
    };
  },
};

defineStoreSuite('sqlite', () => backend);

/** Holds a write lock on the file from another process for `ms`; resolves once the lock is taken. */
function holdWriteLock(path: string, ms: number): Promise<ChildProcess> {
  const code = `const D=require('better-sqlite3');const d=new D(process.argv[1]);d.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');setTimeout(()=>{d.exec('COMMIT');d.close();},${ms});`;
  const child = spawn(process.execPath, ['-e', code, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout!.once('data', () => resolve(child)));
}

const user = (id: string) => ({
  id,
  username: id,
  passwordHash: 'h',
  role: 'qa' as const,
  lines: [],
  createdAt: new Date(),
});

test('sqlite runs in WAL mode and waits out a competing writer for busyTimeoutMs', async () => {
  const path = join(dir, 'wal.sqlite');
  const store = await openSqliteStore({ path, busyTimeoutMs: 5000 });
  const impatient = await openSqliteStore({ path, busyTimeoutMs: 0 });
  try {
    const db = new Database(path);
    // Commits are fsynced (FULL) on the store's own connection: an ack must survive a power loss, not just a crash.
    assert.equal(store.synchronous, 2);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
    let child = await holdWriteLock(path, 400);
    await assert.rejects(impatient.users.create(user('u-impatient')));
    await once(child, 'exit');
    child = await holdWriteLock(path, 400);
    const started = Date.now();
    await store.users.create(user('u-patient'));
    assert.ok(Date.now() - started >= 200, 'the write waited for the lock');
    await once(child, 'exit');
    assert.equal(await store.users.count(), 1);
  } finally {
    await impatient.close();
    await store.close();
  }
});
