import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isControllerError } from '../src/errors.js';
import { DiskFileStore, MemoryFileStore, refOf, type FileStore } from '../src/files/file-store.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function allFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

for (const [name, make] of [
  ['disk', () => new DiskFileStore(join(dir, 'root'))],
  ['memory', () => new MemoryFileStore()],
] as Array<[string, () => FileStore]>) {
  test(`${name} file store: put is content-addressed and idempotent; get returns the bytes`, async () => {
    const fs = make();
    const bytes = Buffer.from('hello frame');
    const ref = await fs.put(bytes);
    assert.equal(ref, refOf(bytes));
    assert.match(ref, /^[0-9a-f]{64}$/);
    assert.equal(await fs.put(Buffer.from('hello frame')), ref);
    assert.deepEqual(await fs.get(ref), bytes);
    assert.equal(await fs.has(ref), true);
    assert.equal(await fs.has(refOf(Buffer.from('other'))), false);
    await assert.rejects(fs.get(refOf(Buffer.from('other'))), (e) => isControllerError(e, 'LW_CTRL_BLOB_NOT_FOUND'));
  });

  test(`${name} file store: malformed references (path traversal) are rejected`, async () => {
    const fs = make();
    for (const bad of ['../../etc/passwd', '..', '', 'A'.repeat(64), `${'a'.repeat(63)}/`, `${'a'.repeat(64)}\0`]) {
      await assert.rejects(fs.get(bad), (e) => isControllerError(e, 'LW_CTRL_FILE_REF_INVALID'), bad);
      await assert.rejects(fs.has(bad), (e) => isControllerError(e, 'LW_CTRL_FILE_REF_INVALID'), bad);
    }
  });
}

test('disk file store: path is generated from the hash and no temp files remain', async () => {
  const root = join(dir, 'root2');
  const fs = new DiskFileStore(root);
  const refs = await Promise.all(Array.from({ length: 5 }, () => fs.put(Buffer.from('same'))));
  assert.equal(new Set(refs).size, 1);
  const ref = refs[0]!;
  assert.deepEqual(allFiles(root), [join(root, 'blobs', ref.slice(0, 2), ref.slice(2, 4), ref)]);
});
