/**
 * Durable outbox for flagged events. An event is encoded once (the exact bytes that go on the wire), written to its
 * own file and fsync'd before it is ever published, and deleted only when the controller's ack for its id arrives
 * (PUBACK only means the broker has it). Start-up reloads every file, so after a crash or kill -9 every
 * unacknowledged event is redelivered and every acknowledged one (file already deleted) is not.
 *
 * Writes go through one FIFO queue of async writes (an fsync costs ~10 ms on a busy disk; done on the event loop it
 * would stall every camera), so they complete in sequence order; an entry becomes publishable only once its file is
 * durable, and the sender stops at the first entry still being written, which keeps delivery in order.
 *
 * Bounded by bytes. When full, `drop-oldest` evicts the oldest unacked events to make room (recent evidence is worth
 * more on a line that keeps running) and `refuse-new` drops the new event; either way every drop is counted and
 * reported. If the disk itself fails (ENOSPC, EIO) the event is kept in memory (same byte budget) and still sent: it
 * is then lost only if the process dies before the ack, and the failure is counted and reported.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decode } from '@linewatch/protocol';
import { errnoOf, reasonOf } from './errors.js';
import type { AgentErrorCode } from './errors.js';

export type OutboxPolicy = 'drop-oldest' | 'refuse-new';

export interface OutboxEntry {
  readonly eventId: string;
  readonly seq: number;
  readonly camera: string;
  readonly topic: string;
  readonly payload: Uint8Array;
  /** File holding the payload; undefined when the disk write failed (memory only). */
  file: string | undefined;
  /** True until the file is durable (or the write failed): not publishable yet. */
  writing: boolean;
  /** performance.now() of the last publish on the current connection; undefined = not sent yet. */
  sentAt: number | undefined;
}

/** The file operations the outbox uses, injectable so tests can simulate a full or failing disk. */
export interface OutboxFs {
  writeDurable(path: string, data: Uint8Array): Promise<void>;
  unlink(path: string): Promise<void>;
}

async function fsyncDirAsync(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => undefined); // some filesystems refuse fsync on directories; rename is still atomic
  await fh.close();
}

export const realOutboxFs: OutboxFs = {
  async writeDurable(path, data) {
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, path);
    await fsyncDirAsync(join(path, '..'));
  },
  async unlink(path) {
    await unlink(path);
  },
};

export interface OutboxOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly policy: OutboxPolicy;
  readonly fs?: OutboxFs;
  /** Event topic of a camera (to republish events reloaded from disk). */
  readonly topicFor: (camera: string) => string;
  /** Called for every drop, disk failure or corrupt file, with a coded reason. */
  readonly onProblem?: (code: AgentErrorCode, message: string, details: Record<string, unknown>) => void;
}

export interface OutboxStats {
  depth: number;
  bytes: number;
  /** Events dropped because the byte budget was reached (cumulative since start). */
  dropped: number;
  /** Events that could not be written to disk and live in memory only (cumulative). */
  diskErrors: number;
  /** Events acked by the controller (cumulative). */
  acked: number;
}

const FILE_RE = /^(\d{16})\.evt$/;

export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>(); // insertion order = write order = seq order per camera
  private readonly fs: OutboxFs;
  private bytes = 0;
  private queue: Promise<void> = Promise.resolve();
  readonly stats: OutboxStats = { depth: 0, bytes: 0, dropped: 0, diskErrors: 0, acked: 0 };
  /** Whether the most recent write reached the disk (a disk problem is cleared only once writes succeed again). */
  lastWriteOk = true;
  /** Highest seq found on disk at open (the sequence counter must start above it). */
  maxSeqOnDisk = 0;
  private readonly readyListeners: (() => void)[] = [];

  constructor(private readonly opts: OutboxOptions) {
    this.fs = opts.fs ?? realOutboxFs;
    mkdirSync(opts.dir, { recursive: true });
  }

  /** Calls `listener` whenever an entry becomes publishable (its file is durable, or its write failed). */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Loads unacked events left by a previous run, in sequence order. Undecodable files are moved aside. */
  open(): void {
    for (const name of readdirSync(this.opts.dir).sort()) {
      const path = join(this.opts.dir, name);
      if (name.endsWith('.tmp')) {
        // A write interrupted before its rename: the event was never published (publish follows the rename).
        try {
          unlinkSync(path);
        } catch {
          /* ignore */
        }
        continue;
      }
      if (!FILE_RE.test(name)) continue;
      try {
        const payload = new Uint8Array(readFileSync(path));
        const ev = decode('event', payload);
        this.insert({
          eventId: ev.eventId,
          seq: ev.seq,
          camera: ev.camera,
          topic: this.opts.topicFor(ev.camera),
          payload,
          file: path,
          writing: false,
          sentAt: undefined,
        });
        this.maxSeqOnDisk = Math.max(this.maxSeqOnDisk, ev.seq);
      } catch (e) {
        mkdirSync(join(this.opts.dir, 'corrupt'), { recursive: true });
        try {
          renameSync(path, join(this.opts.dir, 'corrupt', name));
        } catch {
          /* ignore */
        }
        this.opts.onProblem?.('LW_AGENT_OUTBOX_CORRUPT', `${name}: ${reasonOf(e)}`, { file: name });
      }
    }
  }

  private insert(e: OutboxEntry): void {
    this.entries.set(e.eventId, e);
    this.bytes += e.payload.length;
    this.sync();
  }

  private remove(e: OutboxEntry): void {
    if (!this.entries.delete(e.eventId)) return;
    this.bytes -= e.payload.length;
    this.sync();
    // An entry still being written loses its file when the write completes (see add()).
    if (e.file && !e.writing) this.unlinkLater(e.file);
  }

  private unlinkLater(file: string): void {
    // Queued behind pending writes, so a delete never overtakes the write of the same file.
    this.queue = this.queue.then(() =>
      this.fs.unlink(file).catch((err: unknown) => {
        if (errnoOf(err) !== 'ENOENT')
          this.opts.onProblem?.('LW_AGENT_OUTBOX_DISK', `cannot delete ${file}: ${reasonOf(err)}`, {});
      }),
    );
  }

  private sync(): void {
    this.stats.depth = this.entries.size;
    this.stats.bytes = this.bytes;
  }

  /**
   * Accepts one encoded event and queues its durable write. Returns false if the event was refused (budget full
   * under `refuse-new`, or larger than the whole budget).
   */
  add(ev: { eventId: string; seq: number; camera: string; topic: string; payload: Uint8Array }): boolean {
    const size = ev.payload.length;
    if (size > this.opts.maxBytes || (this.opts.policy === 'refuse-new' && this.bytes + size > this.opts.maxBytes)) {
      this.stats.dropped++;
      this.opts.onProblem?.(
        'LW_AGENT_OUTBOX_FULL',
        `outbox full (${this.bytes}/${this.opts.maxBytes} bytes): refused event seq ${ev.seq}`,
        {
          policy: this.opts.policy,
          seq: ev.seq,
          camera: ev.camera,
          dropped: this.stats.dropped,
        },
      );
      return false;
    }
    while (this.bytes + size > this.opts.maxBytes) {
      const oldest = this.entries.values().next().value as OutboxEntry;
      this.remove(oldest);
      this.stats.dropped++;
      this.opts.onProblem?.('LW_AGENT_OUTBOX_FULL', `outbox full: dropped oldest event seq ${oldest.seq}`, {
        policy: this.opts.policy,
        seq: oldest.seq,
        camera: oldest.camera,
        dropped: this.stats.dropped,
      });
    }
    const file = join(this.opts.dir, `${String(ev.seq).padStart(16, '0')}.evt`);
    const entry: OutboxEntry = { ...ev, file, writing: true, sentAt: undefined };
    this.insert(entry);
    this.queue = this.queue.then(async () => {
      try {
        await this.fs.writeDurable(file, ev.payload);
        this.lastWriteOk = true;
      } catch (e) {
        entry.file = undefined;
        this.lastWriteOk = false;
        this.stats.diskErrors++;
        const code = errnoOf(e);
        this.opts.onProblem?.(
          'LW_AGENT_OUTBOX_DISK',
          `cannot persist event seq ${ev.seq} (${code ?? reasonOf(e)}); kept in memory only`,
          {
            errno: code,
            seq: ev.seq,
            diskErrors: this.stats.diskErrors,
          },
        );
      }
      entry.writing = false;
      if (!this.entries.has(entry.eventId)) {
        if (entry.file) await this.fs.unlink(entry.file).catch(() => undefined); // evicted while being written
        return;
      }
      for (const l of this.readyListeners) l();
    });
    return true;
  }

  /** Resolves once every queued write and delete has finished. */
  async flush(): Promise<void> {
    let q;
    do {
      q = this.queue;
      await q;
    } while (q !== this.queue);
  }

  /** Removes acked events; unknown ids (already acked, or from before a drop) are ignored. Returns how many. */
  ack(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) {
      const e = this.entries.get(id);
      if (e) {
        this.remove(e);
        this.stats.acked++;
        n++;
      }
    }
    return n;
  }

  /** Unacked events in sequence order (including those still being written: check `writing`). */
  pending(): IterableIterator<OutboxEntry> {
    return this.entries.values();
  }

  get depth(): number {
    return this.entries.size;
  }

  /**
   * Whether optional traffic (normal samples) may still be queued: only while the outbox is under half its byte
   * budget, so samples can never be what pushes a flagged event out under `drop-oldest` (or gets one refused).
   */
  get roomForOptional(): boolean {
    return this.bytes < this.opts.maxBytes / 2;
  }
}
