/**
 * The agent's face towards line software: one narrow port that every line-side adapter (MQTT verdict topic, OPC UA
 * server, local HTTP API) is written against, so an adapter never reaches into the pipeline and each can be tested
 * with an in-memory port (see `MemoryLinePort` in ./memory-port.ts).
 */
import type { VerdictMessage } from '@linewatch/protocol';

export interface LineCounters {
  readonly ok: number;
  readonly anomalous: number;
  readonly uncertain: number;
  /** Frames that never got a verdict (dropped in the frame slot, invalid, failed inference). */
  readonly dropped: number;
}

export interface LineCamera {
  readonly id: string;
  /** `trigger` cameras capture only when asked; the others run free at their own pace. */
  readonly trigger: boolean;
  /** Frames arrive (free-running) or the source is open and ready for a capture (trigger). */
  readonly online: boolean;
}

export interface CaptureRequest {
  readonly camera: string;
  readonly partId?: string;
}

/** Settles with the verdict of the captured frame; rejects with a coded AgentError (unknown camera, not a trigger
 *  camera, capture failed, timed out). */
export type CaptureResult = Promise<VerdictMessage>;

export interface LinePort {
  cameras(): readonly LineCamera[];
  /** Throws LW_AGENT_UNKNOWN_CAMERA for a camera not in `cameras()`. */
  counters(camera: string): LineCounters;
  /** Live model version ('' before a model is loaded). */
  modelVersion(): string;
  /** The last verdict per camera, if any yet. */
  lastVerdict(camera: string): VerdictMessage | undefined;
  /** Called for every verdict, in frame order per camera; returns an unsubscribe function. */
  onVerdict(listener: (verdict: VerdictMessage) => void): () => void;
  capture(request: CaptureRequest): CaptureResult;
}
