/**
 * From a score to a verdict. The normalised score (score ÷ threshold) puts every camera and model on one scale where
 * 1.0 is the line's threshold; an optional uncertainty band [low, high] around 1.0 marks the frames a line may want
 * a person (or a second look) for. Without a band the verdict is exactly the agent's flagging decision
 * (score > threshold), so the verdict topic and the flagged events never disagree.
 */
import type { Verdict } from '@linewatch/protocol';

/** The protocol's ceiling for scores and for the normalised score (a threshold of 0 makes any score "infinite"). */
export const MAX_SCORE = 1e9;
export const MAX_NORMALIZED = 1e12;

export interface Judgement {
  readonly normalized: number;
  readonly verdict: Verdict;
}

export function normalizedScore(score: number, threshold: number): number {
  if (threshold > 0) return Math.min(MAX_NORMALIZED, score / threshold);
  return score > 0 ? MAX_NORMALIZED : 0;
}

export function judge(score: number, threshold: number, band?: readonly [number, number]): Judgement {
  const normalized = normalizedScore(score, threshold);
  if (!band) return { normalized, verdict: score > threshold ? 'anomalous' : 'ok' };
  const [low, high] = band;
  const verdict = normalized > high ? 'anomalous' : normalized < low ? 'ok' : 'uncertain';
  return { normalized, verdict };
}

/**
 * Per-camera publication throttle for free-running cameras: a verdict is published when `minIntervalMs` has passed
 * since the last published one, or when it differs from that one (line software never misses a change to
 * `anomalous` and back). Trigger cameras get an interval of 0: every part gets its verdict.
 */
export class VerdictThrottle {
  private readonly last = new Map<string, { at: number; verdict: Verdict }>();

  constructor(
    private readonly intervalFor: (camera: string) => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to publish this verdict now; records it as published when yes. */
  admit(camera: string, verdict: Verdict): boolean {
    const interval = this.intervalFor(camera);
    const t = this.now();
    const prev = this.last.get(camera);
    const due = interval <= 0 || !prev || prev.verdict !== verdict || t - prev.at >= interval;
    if (due) this.last.set(camera, { at: t, verdict });
    return due;
  }
}
