/** Windowed measurements for health telemetry: latency percentiles and frame rates, in fixed memory. */

/** Ring buffer of the last `capacity` samples; percentiles by sorting a copy (only at report time). */
export class LatencyWindow {
  private readonly buf: Float64Array;
  private n = 0;
  private i = 0;
  constructor(capacity = 4096) {
    this.buf = new Float64Array(capacity);
  }
  add(ms: number): void {
    this.buf[this.i] = ms;
    this.i = (this.i + 1) % this.buf.length;
    if (this.n < this.buf.length) this.n++;
  }
  percentiles(): { p50: number; p99: number; count: number } {
    if (this.n === 0) return { p50: 0, p99: 0, count: 0 };
    const s = Float64Array.from(this.buf.subarray(0, this.n)).sort();
    const at = (q: number): number => s[Math.min(this.n - 1, Math.max(0, Math.ceil(q * this.n) - 1))]!;
    return { p50: at(0.5), p99: at(0.99), count: this.n };
  }
  reset(): void {
    this.n = 0;
    this.i = 0;
  }
}

/** Counts events; `rate()` returns events per second since the previous call. */
export class RateCounter {
  private count = 0;
  private since = performance.now();
  total = 0;
  tick(): void {
    this.count++;
    this.total++;
  }
  rate(): number {
    const now = performance.now();
    const s = (now - this.since) / 1000;
    const r = s > 0 ? this.count / s : 0;
    this.count = 0;
    this.since = now;
    return r;
  }
}
