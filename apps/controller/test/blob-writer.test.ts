/**
 * BlobWriter (src/ingest/blob-writer.ts): event blob writes outside the serial ingest queue — bounded concurrency,
 * pinned refs survive a sample prune's delete, and a put does not overtake a delete of the same ref.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryFileStore, refOf } from '../src/files/file-store.js';
import { BlobWriter } from '../src/ingest/blob-writer.js';

/** A memory store whose puts and deletes wait until the test opens them, counting how many run at once. */
class GatedStore extends MemoryFileStore {
  inFlight = 0;
  maxInFlight = 0;
  readonly order: string[] = [];
  gated = true;
  private readonly gates: (() => void)[] = [];

  private async gate(): Promise<void> {
    if (!this.gated) return;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    this.inFlight -= 1;
  }

  /** Lets every operation waiting now go on. */
  openAll(): void {
    for (const open of this.gates.splice(0)) open();
  }

  get waiting(): number {
    return this.gates.length;
  }

  override async put(bytes: Uint8Array): Promise<string> {
    await this.gate();
    this.order.push(`put ${refOf(bytes).slice(0, 8)}`);
    return super.put(bytes);
  }

  override async delete(ref: string): Promise<void> {
    await this.gate();
    this.order.push(`delete ${ref.slice(0, 8)}`);
    return super.delete(ref);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await tick();
  assert.ok(cond(), what);
}

test('blob writer: at most `concurrency` puts at once; every put resolves to its ref', async () => {
  const files = new GatedStore();
  const writer = new BlobWriter(files, 3);
  const blobs = Array.from({ length: 10 }, (_, i) => Buffer.from(`blob ${i}`));
  const puts = blobs.map((b) => writer.put(b));
  await until(() => files.waiting === 3, 'three puts started');
  assert.equal(writer.busy, 10);
  while (files.waiting > 0) {
    files.openAll();
    await until(() => files.waiting > 0 || writer.busy === 0, 'next puts started');
  }
  assert.deepEqual(await Promise.all(puts), blobs.map(refOf));
  assert.equal(files.maxInFlight, 3);
  assert.equal(writer.busy, 0);
  for (const b of blobs) assert.deepEqual(await files.get(refOf(b)), b);
});

test('blob writer: a pinned ref is not deleted until every pin is released', async () => {
  const files = new MemoryFileStore();
  const writer = new BlobWriter(files, 2);
  const frame = Buffer.from('same frame bytes');
  const ref = await writer.put(frame);
  const releaseA = writer.pin([frame]);
  const releaseB = writer.pin([frame]);
  assert.equal(await writer.delete(ref), false);
  releaseA();
  releaseA(); // a second release of the same pin changes nothing
  assert.equal(await writer.delete(ref), false, 'still pinned by B');
  assert.equal(await files.has(ref), true);
  releaseB();
  assert.equal(await writer.delete(ref), true);
  assert.equal(await files.has(ref), false);
});

test('blob writer: a put of a ref being deleted waits for the delete, so the blob is there afterwards', async () => {
  const files = new GatedStore();
  const writer = new BlobWriter(files, 2);
  const frame = Buffer.from('frame pruned and received again');
  files.gated = false;
  await files.put(frame); // stored earlier as a sample's frame
  files.gated = true;
  const ref = refOf(frame);
  const deleting = writer.delete(ref); // the prune decided before the new event arrived
  await until(() => files.waiting === 1, 'delete started');
  const release = writer.pin([frame]);
  const putting = writer.put(frame);
  await tick();
  assert.equal(files.waiting, 1, 'the put waits for the delete instead of racing it');
  files.openAll();
  assert.equal(await deleting, true);
  await until(() => files.waiting === 1, 'put started after the delete');
  files.openAll();
  assert.equal(await putting, ref);
  release();
  assert.deepEqual(
    files.order.slice(-2).map((o) => o.split(' ')[0]),
    ['delete', 'put'],
  );
  assert.deepEqual(await files.get(ref), frame);
});
