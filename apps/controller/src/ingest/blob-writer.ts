/**
 * Event blob writes outside the serial ingest queue. An event's frame and anomaly map are content-addressed and a
 * put is idempotent, so they can be written as soon as the message arrives, several at a time (bounded), while the
 * queue commits earlier rows; only the row insert and the ack stay serial (ingest.ts).
 *
 * The one thing out-of-order writes could break is a sample prune in the queue deleting a blob that a pending row
 * (received, not yet committed) is about to reference — same content, so same ref. Hence: a pending event pins its
 * refs from receipt until its serial step is done, the prune skips pinned refs (the blob stays, referenced or at
 * worst an orphan), and a put waits for a delete of its ref already under way. This guards one controller; replicas
 * sharing a store keep the narrow cross-replica prune/insert window they had before.
 */
import { refOf, type FileStore } from '../files/file-store.js';

export class BlobWriter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly pins = new Map<string, number>();
  private readonly deleting = new Map<string, Promise<void>>();

  constructor(
    private readonly files: FileStore,
    private readonly concurrency: number,
  ) {}

  /** Writes in flight or waiting for a slot (tests, diagnostics). */
  get busy(): number {
    return this.active + this.waiting.length;
  }

  /** Keeps `bytes`' refs from being deleted by `delete` until the returned release is called (once is enough). */
  pin(blobs: Uint8Array[]): () => void {
    const refs = blobs.map(refOf);
    for (const ref of refs) this.pins.set(ref, (this.pins.get(ref) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const ref of refs) {
        const n = (this.pins.get(ref) ?? 1) - 1;
        if (n === 0) this.pins.delete(ref);
        else this.pins.set(ref, n);
      }
    };
  }

  /** Stores the blob (at most `concurrency` puts at once); resolves to its ref. */
  async put(bytes: Uint8Array): Promise<string> {
    // A delete of this ref started before the pin: let it finish, or the put could land before the delete does.
    // (Deletes are rare — sample prunes — so the common case skips hashing the blob once more.)
    if (this.deleting.size > 0) await this.deleting.get(refOf(bytes));
    await this.slot();
    try {
      return await this.files.put(bytes);
    } finally {
      this.free();
    }
  }

  /** Deletes an unreferenced blob unless a pending event pinned it; true when it was deleted. */
  async delete(ref: string): Promise<boolean> {
    if (this.pins.has(ref)) return false;
    const run = this.files.delete(ref);
    // Waiters only need to know it is over, not how it went: the prune's caller sees the failure.
    const settled = run.catch(() => undefined);
    this.deleting.set(ref, settled);
    try {
      await run;
    } finally {
      if (this.deleting.get(ref) === settled) this.deleting.delete(ref);
    }
    return true;
  }

  private slot(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active += 1;
      return Promise.resolve();
    }
    // The slot is handed over by free(), so `active` stays counted for the waiter.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private free(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}
