/**
 * Counts the frames each device scores on the candidate, for the flag-rate gate. Flagged events carry their model
 * version, score messages do not, so frames are attributed by time — on the agent's clock, like the events: a
 * device is watched from the moment its command is sent, its scores are bucketed by 100 ms of their `ts`, and when
 * it reports `live` (the report's `ts`) only frames from then on count. The engine learning about the swap late (a
 * busy box) therefore neither drops frames nor counts the parent's frames against the candidate.
 */
const BUCKET_MS = 100;

interface Watch {
  rolloutId: string;
  /** Agent-clock time the candidate went live; null while converging. */
  liveTs: number | null;
  /** Frames by bucket start (ms), kept only while liveTs is unknown. */
  buckets: Map<number, number>;
  /** Frames on the candidate not yet persisted. */
  pending: number;
}

export class FrameCounter {
  private readonly watches = new Map<string, Watch>();

  watch(deviceId: string, rolloutId: string, liveTs: number | null = null): void {
    const w = this.watches.get(deviceId);
    if (w && w.rolloutId === rolloutId && w.liveTs !== null) return;
    if (w && w.rolloutId === rolloutId && liveTs === null) return;
    this.watches.set(deviceId, {
      rolloutId,
      liveTs,
      buckets: new Map(),
      pending: w?.rolloutId === rolloutId ? w.pending : 0,
    });
  }

  watching(deviceId: string): boolean {
    return this.watches.has(deviceId);
  }

  score(deviceId: string, ts: number): void {
    const w = this.watches.get(deviceId);
    if (!w) return;
    if (w.liveTs !== null) {
      if (ts >= w.liveTs) w.pending += 1;
      return;
    }
    const b = Math.floor(ts / BUCKET_MS) * BUCKET_MS;
    w.buckets.set(b, (w.buckets.get(b) ?? 0) + 1);
    // Bounded: a device that never converges keeps at most the last 10 minutes of buckets.
    if (w.buckets.size > 6000) w.buckets.delete(w.buckets.keys().next().value as number);
  }

  /** The device runs the candidate since `liveTs` (agent clock): count what was buffered from then on. */
  live(deviceId: string, rolloutId: string, liveTs: number): void {
    const w = this.watches.get(deviceId);
    if (!w || w.rolloutId !== rolloutId) {
      this.watches.set(deviceId, { rolloutId, liveTs, buckets: new Map(), pending: 0 });
      return;
    }
    if (w.liveTs !== null) return;
    for (const [b, n] of w.buckets) if (b >= Math.floor(liveTs / BUCKET_MS) * BUCKET_MS) w.pending += n;
    w.buckets.clear();
    w.liveTs = liveTs;
  }

  pending(deviceId: string): number {
    return this.watches.get(deviceId)?.pending ?? 0;
  }

  /** Takes the unpersisted counts: [deviceId, rolloutId, frames]. */
  drain(): Array<[string, string, number]> {
    const out: Array<[string, string, number]> = [];
    for (const [d, w] of this.watches) {
      if (w.pending > 0) out.push([d, w.rolloutId, w.pending]);
      w.pending = 0;
    }
    return out;
  }

  /** Puts counts back that could not be persisted (the next flush retries them). */
  restore(deviceId: string, rolloutId: string, n: number): void {
    const w = this.watches.get(deviceId);
    if (w && w.rolloutId === rolloutId) w.pending += n;
  }

  /** Adds the pending counts to the targets' frame totals. */
  async persist(store: { addFrames(rolloutId: string, deviceId: string, n: number): Promise<void> }): Promise<void> {
    const drained = this.drain();
    for (const [i, [device, rolloutId, n]] of drained.entries()) {
      try {
        await store.addFrames(rolloutId, device, n);
      } catch (err) {
        // A busy database must not lose counts: the flag-rate gate would see the events without their frames.
        for (const [d, id, m] of drained.slice(i)) this.restore(d, id, m);
        throw err;
      }
    }
  }

  forget(rolloutId: string): void {
    for (const [d, w] of this.watches) if (w.rolloutId === rolloutId) this.watches.delete(d);
  }

  forgetDevice(deviceId: string): void {
    this.watches.delete(deviceId);
  }
}
