/**
 * Per-camera thresholds. Precedence: the controller's retained threshold message (if it was calibrated for the
 * live model version or names none) > the camera's configured threshold > the live manifest's calibrated value.
 * Messages with a lower revision than the one held are late redeliveries and are ignored.
 */
import type { ThresholdMessage } from '@linewatch/protocol';

interface Held {
  readonly threshold: number;
  readonly revision: number;
  readonly modelVersion: string | undefined;
}

export class Thresholds {
  private readonly held = new Map<string, Held>();

  constructor(private readonly configured: ReadonlyMap<string, number | undefined>) {}

  /** Returns false if the message was ignored (stale revision or unknown camera). */
  apply(m: ThresholdMessage): boolean {
    if (!this.configured.has(m.camera)) return false;
    const cur = this.held.get(m.camera);
    if (cur && m.revision < cur.revision) return false;
    this.held.set(m.camera, { threshold: m.threshold, revision: m.revision, modelVersion: m.modelVersion });
    return true;
  }

  /** An empty retained payload removed the camera's override. */
  clear(camera: string): void {
    this.held.delete(camera);
  }

  get(camera: string, liveVersion: string, manifestThreshold: number): number {
    const h = this.held.get(camera);
    if (h && (h.modelVersion === undefined || h.modelVersion === liveVersion)) return h.threshold;
    return this.configured.get(camera) ?? manifestThreshold;
  }
}
