/**
 * The FileStore conformance suite: every implementation (memory, disk, S3) must pass the same tests. `make` returns
 * a fresh, empty store for each test.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { isControllerError, type ErrorCode } from '../../src/errors.js';
import { refOf, type FileStore } from '../../src/files/file-store.js';

const coded = (code: ErrorCode) => (e: unknown) => isControllerError(e, code);
const BAD_REFS = ['../../etc/passwd', '..', '', 'A'.repeat(64), `${'a'.repeat(63)}/`, `${'a'.repeat(64)}\0`];

export interface SuiteOptions {
  /** Size of the "package" blob (above the S3 multipart threshold under test). */
  bigBytes: number;
  /** Ask for a range of an empty blob (s3rver 3.7.1 answers it with Content-Length 1 and no body; AWS says 416). */
  emptyBlobRange: boolean;
}

export function fileStoreConformance(name: string, make: () => FileStore, opts: SuiteOptions): void {
  test(`${name} file store: put is content-addressed and idempotent; get, has and size agree`, async () => {
    const fs = make();
    for (const bytes of [Buffer.from('hello frame'), Buffer.alloc(0), randomBytes(70_000)]) {
      const ref = await fs.put(bytes);
      assert.equal(ref, refOf(bytes));
      assert.equal(await fs.put(Buffer.from(bytes)), ref);
      assert.deepEqual(await fs.get(ref), bytes);
      assert.equal(await fs.has(ref), true);
      assert.equal(await fs.size(ref), bytes.length);
    }
  });

  test(`${name} file store: a missing blob is LW_CTRL_BLOB_NOT_FOUND; delete is idempotent`, async () => {
    const fs = make();
    const missing = refOf(Buffer.from('never stored'));
    assert.equal(await fs.has(missing), false);
    await assert.rejects(fs.get(missing), coded('LW_CTRL_BLOB_NOT_FOUND'));
    await assert.rejects(fs.size(missing), coded('LW_CTRL_BLOB_NOT_FOUND'));
    await assert.rejects(fs.getRange(missing, 0, 0), coded('LW_CTRL_BLOB_NOT_FOUND'));
    await fs.delete(missing);
    const ref = await fs.put(Buffer.from('short-lived'));
    await fs.delete(ref);
    await fs.delete(ref);
    assert.equal(await fs.has(ref), false);
    await assert.rejects(fs.get(ref), coded('LW_CTRL_BLOB_NOT_FOUND'));
    assert.equal(await fs.put(Buffer.from('short-lived')), ref, 'a deleted blob can be stored again');
    assert.equal((await fs.get(ref)).toString(), 'short-lived');
  });

  test(`${name} file store: malformed references (path traversal) are LW_CTRL_FILE_REF_INVALID`, async () => {
    const fs = make();
    for (const bad of BAD_REFS) {
      await assert.rejects(fs.get(bad), coded('LW_CTRL_FILE_REF_INVALID'), bad);
      await assert.rejects(fs.has(bad), coded('LW_CTRL_FILE_REF_INVALID'), bad);
      await assert.rejects(fs.size(bad), coded('LW_CTRL_FILE_REF_INVALID'), bad);
      await assert.rejects(fs.getRange(bad, 0, 0), coded('LW_CTRL_FILE_REF_INVALID'), bad);
      await assert.rejects(fs.delete(bad), coded('LW_CTRL_FILE_REF_INVALID'), bad);
    }
  });

  test(`${name} file store: ranged reads return exactly the asked bytes, refuse ranges outside the blob`, async () => {
    const fs = make();
    const bytes = randomBytes(1000);
    const ref = await fs.put(bytes);
    const cases: Array<[number, number]> = [
      [0, 0],
      [0, 999],
      [10, 19],
      [999, 999],
      [500, 999],
    ];
    for (const [a, b] of cases) assert.deepEqual(await fs.getRange(ref, a, b), bytes.subarray(a, b + 1), `${a}-${b}`);
    for (const [a, b] of [
      [1000, 1000],
      [0, 1000],
      [998, 5000],
      [5, 4],
      [-1, 3],
    ] as Array<[number, number]>) {
      await assert.rejects(fs.getRange(ref, a, b), coded('LW_CTRL_RANGE_NOT_SATISFIABLE'), `${a}-${b}`);
    }
    if (!opts.emptyBlobRange) return;
    const empty = await fs.put(Buffer.alloc(0));
    await assert.rejects(fs.getRange(empty, 0, 0), coded('LW_CTRL_RANGE_NOT_SATISFIABLE'), 'empty blob');
  });

  test(`${name} file store: concurrent puts of the same content store it once, intact`, async () => {
    const fs = make();
    const bytes = randomBytes(200_000);
    const refs = await Promise.all(Array.from({ length: 8 }, () => fs.put(Buffer.from(bytes))));
    assert.deepEqual(new Set(refs), new Set([refOf(bytes)]));
    assert.deepEqual(await fs.get(refs[0]!), bytes);
  });

  test(`${name} file store: a package-sized blob round-trips and reads by range across its middle`, async () => {
    const fs = make();
    const bytes = randomBytes(opts.bigBytes);
    const ref = await fs.put(bytes);
    assert.equal(await fs.size(ref), bytes.length);
    assert.equal(refOf(await fs.get(ref)), ref);
    const mid = Math.floor(bytes.length / 2);
    assert.deepEqual(await fs.getRange(ref, mid - 3, mid + 3), bytes.subarray(mid - 3, mid + 4));
    assert.deepEqual(await fs.getRange(ref, bytes.length - 1, bytes.length - 1), bytes.subarray(-1));
  });

  test(`${name} file store: probe resolves for a working store`, async () => {
    await make().probe();
  });
}
