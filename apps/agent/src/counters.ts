/**
 * Persisted counters. The event sequence must be strictly increasing across restarts (it is the controller's dedupe
 * key with the device id), so numbers are handed out from a block reserved on disk first: one fsync per 1,000 events
 * instead of one per event, at the price of gaps after a crash (gaps are allowed, repeats are not).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError, reasonOf } from './errors.js';
import { writeFileAtomic } from './fsutil.js';

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export class SeqCounter {
  private next: number;
  private reserved: number;
  private readonly path: string;

  constructor(
    dir: string,
    minNext: number,
    private readonly block = 1000,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'event-seq');
    this.reserved = readNumber(this.path) ?? 0;
    this.next = Math.max(this.reserved, minNext, 1);
    this.reserved = this.next;
  }

  /** Next sequence number; reserves (fsyncs) a new block when the current one is used up. */
  take(): number {
    if (this.next >= this.reserved) {
      const upTo = this.next + this.block;
      try {
        writeFileAtomic(this.path, `${upTo}\n`);
      } catch (e) {
        throw new AgentError(
          'LW_AGENT_STATE_IO',
          `cannot persist event sequence: ${reasonOf(e)}`,
          { path: this.path },
          { cause: e },
        );
      }
      this.reserved = upTo;
    }
    return this.next++;
  }
}

/** Sparkplug-style birth/death sequence: incremented and persisted per connect attempt, wraps at 2^32. */
export class BdSeq {
  private readonly path: string;
  private value: number;
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'bdseq');
    this.value = readNumber(this.path) ?? 0;
  }
  get current(): number {
    return this.value;
  }
  /** Advances for a new connect attempt. A write failure is tolerated: bdSeq is compared for equality only. */
  advance(): number {
    this.value = (this.value + 1) % 0x1_0000_0000;
    try {
      writeFileAtomic(this.path, `${this.value}\n`);
    } catch {
      // A stale death would at worst be mis-attributed; never stop connecting for it.
    }
    return this.value;
  }
}
