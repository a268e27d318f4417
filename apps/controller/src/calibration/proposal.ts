/**
 * The threshold proposal, from sketches alone (no I/O). Population: every frame the live model scored in the range,
 * minus the frames QA confirmed as defects. Not only the unflagged frames: those are cut off at the current
 * threshold, so a proposal from them could only ever lower it (a camera that flags too much would never be
 * calibrated up); unreviewed flags count as normal, which errs towards fewer alarms.
 */
import { SKETCH_RELATIVE_ERROR, ScoreSketch, sketchOf } from '@linewatch/protocol';
import type { SketchWindowRow } from '../store/calibration-store.js';

/** At least this many normal frames must lie above the proposed threshold, so it is not placed by one or two. */
export const MIN_TAIL_FRAMES = 10;

export interface ProposalFigures {
  modelVersion: string;
  windows: number;
  frames: number;
  confirmedExcluded: number;
  normalFrames: number;
  targetFar: number;
  proposedThreshold: number;
  expectedFlagRate: number;
  expectedFar: number;
  currentThreshold: number;
  currentFlagRate: number;
  currentFar: number;
  relativeError: number;
}

export type ProposalResult =
  { ok: true; figures: ProposalFigures } | { ok: false; normalFrames: number; requiredFrames: number };

export function requiredFrames(targetFar: number): number {
  return Math.ceil(MIN_TAIL_FRAMES / targetFar);
}

/** `windows`: one model version's windows, oldest first (non-empty); `confirmed`: scores of confirmed defects. */
export function propose(
  windows: readonly SketchWindowRow[],
  confirmed: readonly number[],
  targetFar: number,
): ProposalResult {
  const all = sketchOf(...windows.map((w) => w.sketch));
  const normal = new ScoreSketch().merge(all.toCounts());
  let excluded = 0;
  for (const s of confirmed) if (normal.remove(s)) excluded++;
  const required = requiredFrames(targetFar);
  if (normal.total < required) return { ok: false, normalFrames: normal.total, requiredFrames: required };
  const t = normal.thresholdFor(targetFar);
  const newest = windows[windows.length - 1]!;
  const current = windows.filter((w) => w.threshold === newest.threshold);
  const currentFrames = current.reduce((n, w) => n + w.frames, 0);
  return {
    ok: true,
    figures: {
      modelVersion: newest.modelVersion,
      windows: windows.length,
      frames: all.total,
      confirmedExcluded: excluded,
      normalFrames: normal.total,
      targetFar,
      proposedThreshold: t,
      expectedFlagRate: all.fractionAbove(t),
      expectedFar: normal.fractionAbove(t),
      currentThreshold: newest.threshold,
      currentFlagRate: currentFrames > 0 ? current.reduce((n, w) => n + w.flagged, 0) / currentFrames : 0,
      currentFar: normal.fractionAbove(newest.threshold),
      relativeError: SKETCH_RELATIVE_ERROR,
    },
  };
}
