/**
 * One handler per agent→controller message kind. Each receives an already-decoded, schema-checked message whose
 * device/camera agree with the topic (protocol's fromPublication). Handlers throw ControllerError for coded
 * rejections; the ingest loop logs and counts them. An event has a second, concurrent part (prepareEvent) that
 * ingest starts on receipt; its handler is the serial rest.
 */
import { randomUUID } from 'node:crypto';
import type { MessageOf, ParsedTopic } from '@linewatch/protocol';
import { readImageInfo } from '@linewatch/vision';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { AckBatcher } from './ack-batcher.js';
import type { ScoreAggregator } from './aggregator.js';
import type { BlobWriter } from './blob-writer.js';
import type { NormalSampleRow, SamplesStore } from '../store/samples-store.js';

export interface HandlerDeps {
  ctx: Ctx;
  bus: Bus;
  scores: ScoreAggregator;
  acks: AckBatcher;
  samples: SamplesStore;
  blobs: BlobWriter;
}

export type Outcome = 'ok' | 'duplicate' | 'ignored';

async function knownDevice(ctx: Ctx, topic: ParsedTopic) {
  const d = await ctx.store.devices.find(topic.device);
  // The ACL already pins a device to its prefix; re-checking site/line here also covers external brokers.
  if (!d || d.disabledAt || d.site !== topic.site || d.line !== topic.line) {
    throw ctrlError(
      'LW_CTRL_INGEST_UNKNOWN_DEVICE',
      `no enabled device ${topic.device} at ${topic.site}/${topic.line}`,
    );
  }
  return d;
}

async function frameInfo(ctx: Ctx, jpeg: Uint8Array) {
  try {
    return await readImageInfo(jpeg, { maxPixels: ctx.config.ingest.maxMaskPixels });
  } catch (e) {
    throw ctrlError('LW_CTRL_INGEST_INVALID', `event frame unreadable: ${(e as Error).message}`, { cause: e });
  }
}

/** The row fields a flagged event and a normal sample share (everything but the anomaly map). */
function frameRow(
  ctx: Ctx,
  device: { id: string; line: string },
  m: MessageOf<'event'>,
  frame: { width: number; height: number },
  frameRef: string,
): NormalSampleRow {
  return {
    id: randomUUID(),
    deviceId: device.id,
    sequence: m.seq,
    line: device.line,
    camera: m.camera,
    ts: new Date(m.ts),
    modelVersion: m.modelVersion,
    score: m.score,
    threshold: m.threshold,
    frameRef,
    frameWidth: frame.width,
    frameHeight: frame.height,
    receivedAt: ctx.clock.now(),
  };
}

/** An event's checks done and blobs stored: what its serial step needs to write the row. */
interface PreparedEvent {
  device: { id: string; line: string };
  frame: { width: number; height: number };
  frameRef: string;
  /** null for a sampled normal frame (its map is not kept). */
  mapRef: string | null;
}

export interface PendingEvent {
  ready: Promise<PreparedEvent>;
  /** Unpins the event's blobs (blob-writer.ts); called once its serial step is over, whatever the outcome. */
  release: () => void;
}

/**
 * The part of an event that need not wait for the serial queue, started on receipt: device check, frame check and
 * blob writes (concurrently with other events', bounded by ingest.blobConcurrency). Blobs first, the row later in
 * handleEvent: a crash or failed row in between leaves only an orphan blob, and no ack, so the agent resends.
 */
export function prepareEvent(deps: HandlerDeps, topic: ParsedTopic, m: MessageOf<'event'>): PendingEvent {
  const release = deps.blobs.pin(m.sampled ? [m.jpeg] : [m.jpeg, m.anomalyMap]);
  const ready = (async (): Promise<PreparedEvent> => {
    const device = await knownDevice(deps.ctx, topic);
    const frame = await frameInfo(deps.ctx, m.jpeg);
    const [frameRef, mapRef] = await Promise.all([
      deps.blobs.put(m.jpeg),
      m.sampled ? null : deps.blobs.put(m.anomalyMap),
    ]);
    return { device, frame, frameRef, mapRef };
  })();
  // handleEvent awaits (and so reports) a failure; until the queue reaches it, it must not count as unhandled.
  ready.catch(() => undefined);
  return { ready, release };
}

/** The serial step of an event: row committed (or found committed), then acked. */
export async function handleEvent(
  deps: HandlerDeps,
  topic: ParsedTopic,
  m: MessageOf<'event'>,
  pending: PendingEvent,
): Promise<Outcome> {
  try {
    const prepared = await pending.ready;
    return m.sampled ? await handleSample(deps, topic, m, prepared) : await handleFlagged(deps, topic, m, prepared);
  } finally {
    pending.release();
  }
}

async function handleFlagged(
  deps: HandlerDeps,
  topic: ParsedTopic,
  m: MessageOf<'event'>,
  { device, frame, frameRef, mapRef }: PreparedEvent,
): Promise<Outcome> {
  const { ctx } = deps;
  if (mapRef === null) throw ctrlError('LW_CTRL_INTERNAL', 'flagged event prepared without its anomaly map');
  const { created } = await ctx.store.events.insertOnce({ ...frameRow(ctx, device, m, frame, frameRef), mapRef });
  if (created) deps.scores.addFlagged(device.id, m.camera, m.ts);
  // Ack only after the insert committed (or was found committed): the agent may now delete it from its outbox.
  // A redelivery is acked again, since the first ack may be what got lost. Batched per device (ack-batcher.ts).
  deps.acks.add({ site: topic.site, line: topic.line, device: topic.device }, m.eventId);
  return created ? 'ok' : 'duplicate';
}

/**
 * A sampled normal frame (`sampled: true`): stored as a NormalSample, never as an Event, so it stays out of the QA
 * queue, label stats and flag counts. Same durability contract as an event: row committed (or found) → ack. The
 * anomaly map is not kept (a normal frame's map carries nothing to train on).
 */
async function handleSample(
  deps: HandlerDeps,
  topic: ParsedTopic,
  m: MessageOf<'event'>,
  { device, frame, frameRef }: PreparedEvent,
): Promise<Outcome> {
  const { ctx } = deps;
  const { created } = await deps.samples.insertOnce(frameRow(ctx, device, m, frame, frameRef));
  deps.acks.add({ site: topic.site, line: topic.line, device: topic.device }, m.eventId);
  if (created) {
    // Retention after the ack is queued: a failed prune must not cost the agent a redelivery.
    try {
      const orphans = await deps.samples.prune(device.line, m.camera, ctx.config.ingest.maxNormalSamples);
      // Through the blob writer: a ref pinned by a pending event (same frame bytes) is kept.
      for (const ref of orphans) await deps.blobs.delete(ref);
    } catch (err) {
      ctx.log.warn(
        { err, code: 'LW_CTRL_INGEST_STORE_FAILED', line: device.line, camera: m.camera },
        'normal sample prune failed',
      );
    }
  }
  return created ? 'ok' : 'duplicate';
}

export function handleScore(deps: HandlerDeps, topic: ParsedTopic, m: MessageOf<'score'>): Outcome {
  // No DB lookup on the hot path: the broker ACL guarantees the topic's device published it.
  deps.scores.addScore(topic.device, m.camera, m.ts, m.score);
  return 'ok';
}

export async function handleBirth(deps: HandlerDeps, topic: ParsedTopic, m: MessageOf<'birth'>): Promise<Outcome> {
  await knownDevice(deps.ctx, topic);
  await deps.ctx.store.fleet.upsert(
    topic.device,
    {
      online: true,
      bdSeq: m.bdSeq,
      lastSeen: new Date(m.ts),
      agentVersion: m.agentVersion,
      modelVersion: m.modelVersion,
    },
    deps.ctx.clock.now(),
  );
  return 'ok';
}

export async function handleDeath(deps: HandlerDeps, topic: ParsedTopic, m: MessageOf<'death'>): Promise<Outcome> {
  await knownDevice(deps.ctx, topic);
  const current = await deps.ctx.store.fleet.get(topic.device);
  // A will from an older session (its bdSeq differs from the live birth's) must not mark a live device offline.
  if (current && current.bdSeq !== null && current.bdSeq !== m.bdSeq) return 'ignored';
  await deps.ctx.store.fleet.upsert(
    topic.device,
    { online: false, lastSeen: deps.ctx.clock.now() },
    deps.ctx.clock.now(),
  );
  return 'ok';
}

export async function handleStatus(deps: HandlerDeps, topic: ParsedTopic, m: MessageOf<'status'>): Promise<Outcome> {
  await knownDevice(deps.ctx, topic);
  await deps.ctx.store.fleet.upsert(
    topic.device,
    { lastSeen: new Date(m.ts), modelVersion: m.modelVersion, status: m },
    deps.ctx.clock.now(),
  );
  return 'ok';
}

export async function handleHealth(deps: HandlerDeps, topic: ParsedTopic, m: MessageOf<'health'>): Promise<Outcome> {
  await knownDevice(deps.ctx, topic);
  await deps.ctx.store.fleet.upsert(
    topic.device,
    { lastSeen: new Date(m.ts), modelVersion: m.modelVersion, health: m },
    deps.ctx.clock.now(),
  );
  return 'ok';
}

export function handleModelReport(deps: HandlerDeps, topic: ParsedTopic, m: MessageOf<'modelReport'>): Outcome {
  // The rollout engine (src/rollouts/engine.ts) subscribes to model reports on the bus itself; here they are only
  // logged, so an operator can follow an update in the controller log.
  deps.ctx.log.info({ device: topic.device, report: m }, 'model report');
  return 'ok';
}
