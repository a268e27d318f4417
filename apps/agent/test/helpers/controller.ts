/**
 * A small stand-in for the controller: subscribes to one device's agent→controller topics, dedupes events on
 * (device, seq), acks every event it stored, and records everything else for assertions.
 */
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { fromPublication, toPublication } from '@linewatch/protocol';
import type {
  DeviceAddress,
  EventMessage,
  HealthMessage,
  ModelReportMessage,
  ScoreMessage,
  ScoreSketchMessage,
  StatusMessage,
  ThresholdMessage,
  DesiredModelMessage,
} from '@linewatch/protocol';

export class TestController {
  readonly events = new Map<number, EventMessage>(); // by seq (dedupe key with device); not kept in lean mode
  readonly arrival: { camera: string; seq: number }[] = []; // first arrival order; not kept in lean mode
  /** Distinct events received. */
  eventCount = 0;
  /** Lean mode's dedupe keys (a number each, instead of the event). */
  private readonly seen = new Set<number>();
  duplicates = 0;
  readonly scores: ScoreMessage[] = [];
  /** Every score received (in lean mode only this is kept). */
  scoreCount = 0;
  readonly reports: ModelReportMessage[] = [];
  readonly statuses: StatusMessage[] = [];
  readonly health: HealthMessage[] = [];
  readonly sketches: ScoreSketchMessage[] = [];
  births = 0;
  deaths = 0;
  ackEnabled = true;
  private client!: MqttClient;

  constructor(
    private readonly url: string,
    private readonly address: DeviceAddress,
    /**
     * Benchmarks: count events and scores without keeping them (the subscriber shares the agent's process, so what
     * it kept would show up as the agent's memory growth).
     */
    private readonly lean = false,
  ) {}

  async start(): Promise<void> {
    const a = this.address;
    this.client = connect(this.url, {
      clientId: `test-ctrl-${Math.random().toString(36).slice(2)}`,
      reconnectPeriod: 200,
      clean: true,
    });
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.client.end(true);
        reject(new Error(`test controller could not connect to ${this.url}`));
      }, 10_000);
      this.client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
    await this.client.subscribeAsync(`linewatch/v1/${a.site}/${a.line}/${a.device}/#`, { qos: 1 });
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (payload.length === 0) return;
    let got;
    try {
      got = fromPublication(topic, payload);
    } catch {
      return;
    }
    switch (got.kind) {
      case 'event': {
        const e = got.message;
        // Tests may clear `events` between agents (a new data dir restarts seq), so it is the dedupe set unless lean.
        if (this.lean ? this.seen.has(e.seq) : this.events.has(e.seq)) this.duplicates++;
        else {
          this.eventCount++;
          if (this.lean) this.seen.add(e.seq);
          else {
            this.events.set(e.seq, e);
            this.arrival.push({ camera: e.camera, seq: e.seq });
          }
        }
        if (this.ackEnabled)
          this.publish(
            toPublication('ack', this.address, { device: this.address.device, eventIds: [e.eventId], ts: Date.now() }),
          );
        break;
      }
      case 'score':
        this.scoreCount++;
        if (!this.lean) this.scores.push(got.message);
        break;
      case 'modelReport':
        this.reports.push(got.message);
        break;
      case 'status':
        this.statuses.push(got.message);
        break;
      case 'health':
        this.health.push(got.message);
        break;
      case 'scoreSketch':
        this.sketches.push(got.message);
        break;
      case 'birth':
        this.births++;
        break;
      case 'death':
        this.deaths++;
        break;
      default:
        break;
    }
  }

  private publish(p: { topic: string; payload: Uint8Array; qos: 0 | 1 | 2; retain: boolean }): void {
    this.client.publish(p.topic, Buffer.from(p.payload), { qos: p.qos, retain: p.retain });
  }

  sendDesired(d: DesiredModelMessage): void {
    this.publish(toPublication('desiredModel', this.address, d));
  }

  sendThreshold(t: ThresholdMessage): void {
    this.publish(toPublication('threshold', { ...this.address, camera: t.camera }, t));
  }

  /** Empty retained payload: removes the camera's threshold override. */
  clearThreshold(camera: string): void {
    const a = this.address;
    this.client.publish(`linewatch/v1/${a.site}/${a.line}/${a.device}/cfg/threshold/${camera}`, Buffer.alloc(0), {
      qos: 1,
      retain: true,
    });
  }

  /** Resolves once the subscriber is connected again and its subscription is acknowledged (after a broker restart). */
  async subscribed(timeoutMs = 10_000): Promise<void> {
    await waitFor('test controller reconnected', () => this.client.connected, timeoutMs);
    const a = this.address;
    await this.client.subscribeAsync(`linewatch/v1/${a.site}/${a.line}/${a.device}/#`, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
