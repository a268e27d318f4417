/** Ingest of `scoreSketch` messages: one stored window per (device, camera, model version, start). */
import { randomUUID } from 'node:crypto';
import { sketchOf, type MessageOf, type ParsedTopic } from '@linewatch/protocol';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { Outcome } from '../ingest/handlers.js';

const MAX_INT = 2_147_483_647;

export async function handleScoreSketch(ctx: Ctx, topic: ParsedTopic, m: MessageOf<'scoreSketch'>): Promise<Outcome> {
  const d = await ctx.store.devices.find(topic.device);
  if (!d || d.disabledAt || d.site !== topic.site || d.line !== topic.line) {
    throw ctrlError(
      'LW_CTRL_INGEST_UNKNOWN_DEVICE',
      `no enabled device ${topic.device} at ${topic.site}/${topic.line}`,
    );
  }
  const frames = sketchOf(m.sketch).total;
  if (frames === 0) return 'ignored';
  const { created } = await ctx.store.calibration.insertWindow({
    id: randomUUID(),
    deviceId: d.id,
    line: d.line,
    camera: m.camera,
    modelVersion: m.modelVersion,
    start: new Date(m.start),
    durationMs: m.durationMs,
    threshold: m.threshold,
    frames: Math.min(MAX_INT, frames),
    flagged: Math.min(MAX_INT, frames, m.flagged),
    sketch: m.sketch,
    frameStats: m.frames ?? null,
    receivedAt: ctx.clock.now(),
  });
  return created ? 'ok' : 'duplicate';
}
