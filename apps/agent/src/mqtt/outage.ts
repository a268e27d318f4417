/**
 * Paces what a broker outage writes to the log. mqtt.js retries every `broker.reconnectMs` and reports every failed
 * attempt: on a line whose broker is down for a night that is a warning a second, burying everything else. So the
 * first failure is logged, then one line once 1 s, 2 s, 4 s … (capped) have passed since the previous one, each
 * saying how long the broker has been down, how many attempts were made and how many failures went unlogged; the
 * reconnect is one line with the length of the outage and the attempts it took. Reconnecting itself is not slowed:
 * the log follows the reconnect loop, it does not drive it.
 */

export interface OutageLine {
  /** Since the connection was lost (or since start, if it never came up). */
  readonly downMs: number;
  /** Connect attempts made so far in this outage. */
  readonly attempts: number;
  /** Failures since the previous logged line that were not logged. */
  readonly unlogged: number;
}

export const OUTAGE_LOG_MIN_GAP_MS = 1000;
/** At most one line per 5 minutes however long the outage: still visibly ongoing in any log window. */
export const OUTAGE_LOG_MAX_GAP_MS = 300_000;

export class OutageLog {
  private since: number | undefined;
  private attempts = 0;
  private failures = 0;
  private unlogged = 0;
  private nextLineAt = 0;
  private gapMs: number;

  constructor(
    private readonly now: () => number,
    private readonly minGapMs = OUTAGE_LOG_MIN_GAP_MS,
    private readonly maxGapMs = OUTAGE_LOG_MAX_GAP_MS,
  ) {
    this.gapMs = minGapMs;
  }

  /** A connect attempt starts (the first one, or one of the client's reconnects). */
  attempt(): void {
    this.begin();
    this.attempts++;
  }

  /** The connection closed: an outage begins, unless one is already running. */
  lost(): void {
    this.begin();
  }

  /** A connect attempt failed: the line to log now, or undefined while the log is paced. */
  failed(): OutageLine | undefined {
    const since = this.begin();
    this.failures++;
    const t = this.now();
    if (t < this.nextLineAt) {
      this.unlogged++;
      return undefined;
    }
    const line = { downMs: t - since, attempts: this.attempts, unlogged: this.unlogged };
    this.unlogged = 0;
    this.nextLineAt = t + this.gapMs;
    this.gapMs = Math.min(this.gapMs * 2, this.maxGapMs);
    return line;
  }

  /** Connected: the outage it ends, if any connect attempt had failed (a first connect that worked is none). */
  recovered(): { downMs: number; attempts: number } | undefined {
    const since = this.since;
    const summary =
      since !== undefined && this.failures > 0 ? { downMs: this.now() - since, attempts: this.attempts } : undefined;
    this.since = undefined;
    this.attempts = 0;
    this.failures = 0;
    this.unlogged = 0;
    this.nextLineAt = 0;
    this.gapMs = this.minGapMs;
    return summary;
  }

  private begin(): number {
    this.since ??= this.now();
    return this.since;
  }
}
