/**
 * MQTT ingest: subscribes to every agent→controller kind (filters from the protocol), decodes and validates each
 * message, and dispatches it to its handler. Never throws out of a delivery: invalid input is logged with a coded
 * reason and counted. Messages that touch the database run one at a time on a bounded queue (per-device order is
 * kept, e.g. birth before death); scores are folded in memory synchronously. An event's blob writes start on
 * receipt, outside the queue (blob-writer.ts): with an S3 store they were most of each event's serial time; its row
 * commit and ack still happen in queue order.
 */
import {
  controllerSubscriptions,
  fromPublication,
  isProtocolError,
  safeParseTopic,
  type Received,
} from '@linewatch/protocol';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';
import { isControllerError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { AckBatcher } from './ack-batcher.js';
import { ScoreAggregator } from './aggregator.js';
import { BlobWriter } from './blob-writer.js';
import {
  handleBirth,
  handleDeath,
  handleEvent,
  handleHealth,
  handleModelReport,
  handleScore,
  handleStatus,
  prepareEvent,
  type HandlerDeps,
  type Outcome,
} from './handlers.js';
import { handleScoreSketch } from '../calibration/ingest.js';

export const MAX_QUEUE = 10_000;

export class Ingest {
  readonly scores: ScoreAggregator;
  readonly acks: AckBatcher;
  private readonly deps: HandlerDeps;
  private chain: Promise<void> = Promise.resolve();
  private depth = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: Ctx,
    private readonly bus: Bus,
    private readonly metrics: Metrics,
  ) {
    this.scores = new ScoreAggregator(ctx.store.scores);
    this.acks = new AckBatcher(ctx, bus, ctx.config.ingest.ackMaxDelayMs);
    const blobs = new BlobWriter(ctx.files, ctx.config.ingest.blobConcurrency);
    this.deps = { ctx, bus, scores: this.scores, acks: this.acks, samples: ctx.store.samples, blobs };
    metrics.probes.acksPending = () => this.acks.pending;
  }

  async start(): Promise<void> {
    const group = this.ctx.config.mqtt.mode === 'external' ? this.ctx.config.mqtt.sharedGroup : null;
    const subs = controllerSubscriptions(group === null ? {} : { sharedGroup: group });
    const safe = (t: string, p: Buffer): void => {
      try {
        this.receive(t, p);
      } catch (err) {
        // Last line of defence: a bug in ingest must not take the broker's delivery loop down with it.
        this.ctx.log.error({ err, topic: t, code: 'LW_CTRL_INTERNAL' }, 'ingest failed unexpectedly');
      }
    };
    for (const sub of subs) await this.bus.subscribe(sub.topic, safe, sub.qos);
    this.timer = setInterval(() => void this.flushScores(), this.ctx.config.ingest.flushIntervalMs);
    this.timer.unref();
  }

  /** Waits for queued messages, then flushes score aggregates. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.idle();
    await this.flushScores();
  }

  /** Resolves when everything received so far has been processed and acked (tests, shutdown). */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
    await this.acks.drain();
  }

  /**
   * One flush at a time: a slow flush overlapping the next tick (or an explicit flush, e.g. before a rollout reads
   * its baseline) would write the same (device, camera, minute) keys in two transactions — a unique violation or a
   * write conflict on PostgreSQL.
   */
  flushScores(): Promise<void> {
    const run = this.flushing.then(async () => {
      try {
        await this.scores.flush();
      } catch (err) {
        this.ctx.log.error({ err, code: 'LW_CTRL_INGEST_STORE_FAILED' }, 'score aggregate flush failed; will retry');
      }
      this.metrics.scoreBufferKeys.set(this.scores.size);
    });
    this.flushing = run;
    return run;
  }

  receive(topic: string, payload: Buffer): void {
    const parsed = safeParseTopic(topic);
    const kindLabel = parsed.ok ? parsed.topic.kind : 'unknown';
    let msg: Received;
    try {
      msg = fromPublication(topic, payload);
    } catch (err) {
      this.reject(kindLabel, topic, err);
      return;
    }
    const ts = (msg.message as { ts?: unknown }).ts;
    if (typeof ts === 'number') {
      this.metrics.ingestLag.observe({ kind: msg.kind }, Math.max(0, this.ctx.clock.now().getTime() - ts) / 1000);
    }
    if (msg.kind === 'score') {
      this.count('score', handleScore(this.deps, msg.topic, msg.message));
      return;
    }
    if (this.depth >= MAX_QUEUE) {
      // Bounded memory: QoS1 senders will redeliver (no ack was sent), QoS0 health is superseded by the next one.
      this.metrics.ingestMessages.inc({ kind: msg.kind, result: 'dropped' });
      this.ctx.log.warn({ code: 'LW_CTRL_INGEST_STORE_FAILED', topic }, 'ingest queue full; message dropped');
      return;
    }
    this.depth += 1;
    this.metrics.ingestQueueDepth.set(this.depth);
    const step = this.serialStep(msg);
    this.chain = this.chain
      .then(step)
      .then(
        (outcome) => this.count(msg.kind, outcome),
        (err: unknown) => this.reject(msg.kind, topic, err),
      )
      .finally(() => {
        this.depth -= 1;
        this.metrics.ingestQueueDepth.set(this.depth);
        // Queue drained: nothing else is about to be committed, so waiting for more ids would only add latency.
        if (this.depth === 0) this.acks.flush();
      });
  }

  /** The message's handler, to run in queue order. An event's concurrent part (its blob writes) starts here. */
  private serialStep(r: Received): () => Promise<Outcome> | Outcome {
    switch (r.kind) {
      case 'event': {
        const pending = prepareEvent(this.deps, r.topic, r.message);
        return () => handleEvent(this.deps, r.topic, r.message, pending);
      }
      case 'birth':
        return () => handleBirth(this.deps, r.topic, r.message);
      case 'death':
        return () => handleDeath(this.deps, r.topic, r.message);
      case 'status':
        return () => handleStatus(this.deps, r.topic, r.message);
      case 'health':
        return () => handleHealth(this.deps, r.topic, r.message);
      case 'modelReport':
        return () => handleModelReport(this.deps, r.topic, r.message);
      case 'score':
        return () => handleScore(this.deps, r.topic, r.message);
      case 'scoreSketch':
        return () => handleScoreSketch(this.ctx, r.topic, r.message);
      default:
        // controller→agent kinds never reach us (not subscribed); ignore defensively.
        return () => 'ignored';
    }
  }

  private count(kind: string, outcome: Outcome): void {
    this.metrics.ingestMessages.inc({ kind, result: outcome });
  }

  private reject(kind: string, topic: string, err: unknown): void {
    if (isProtocolError(err)) {
      this.metrics.ingestMessages.inc({ kind, result: 'invalid' });
      this.ctx.log.warn(
        { code: 'LW_CTRL_INGEST_INVALID', reason: err.code, topic, message: err.message },
        'message rejected',
      );
    } else if (isControllerError(err) && err.code !== 'LW_CTRL_INTERNAL') {
      const result = err.code === 'LW_CTRL_INGEST_UNKNOWN_DEVICE' ? 'unknown_device' : 'invalid';
      this.metrics.ingestMessages.inc({ kind, result });
      this.ctx.log.warn({ code: err.code, topic, message: err.message }, 'message rejected');
    } else {
      this.metrics.ingestMessages.inc({ kind, result: 'store_failed' });
      this.ctx.log.error({ code: 'LW_CTRL_INGEST_STORE_FAILED', topic, err }, 'message could not be stored; not acked');
    }
  }
}
