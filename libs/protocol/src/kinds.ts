/**
 * THE table: every message kind with its topic suffix, QoS, retain flag, direction, wire id and size limit. Topic
 * builders, the parser, subscriptions, the codec and the README are all derived from (or checked against) this data,
 * so a kind cannot be half-added.
 */

/**
 * `agent→line` / `line→agent` kinds are for line software (PLC gateways, SCADA, Node-RED): the controller neither
 * subscribes to nor publishes them, but agents publish / subscribe exactly as for their controller kinds.
 */
export type Direction = 'agent→controller' | 'controller→agent' | 'agent→line' | 'line→agent';
export type QoS = 0 | 1 | 2;

export interface KindSpec {
  /** Envelope byte 3. Stable forever: never renumber, never reuse a retired id. */
  readonly id: number;
  /** Topic segments after `{device}`; `{camera}` is a variable segment. */
  readonly suffix: readonly string[];
  readonly qos: QoS;
  readonly retain: boolean;
  readonly direction: Direction;
  /** Default maximum envelope size in bytes (override per call via CodecOptions.maxBytes). */
  readonly maxBytes: number;
  readonly description: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const KINDS = {
  score: {
    id: 1,
    suffix: ['score', '{camera}'],
    qos: 0,
    retain: false,
    direction: 'agent→controller',
    maxBytes: 1 * KiB,
    description: 'Per-frame image score (lossy by design)',
  },
  event: {
    id: 2,
    suffix: ['event', '{camera}'],
    qos: 1,
    retain: false,
    direction: 'agent→controller',
    maxBytes: 9 * MiB,
    description: 'Flagged anomaly: JPEG frame + 8-bit PNG anomaly map (+ optional features)',
  },
  ack: {
    id: 3,
    suffix: ['ack'],
    qos: 1,
    retain: false,
    direction: 'controller→agent',
    maxBytes: 96 * KiB,
    description: 'Event ids committed by the controller; the agent drops them from its outbox',
  },
  birth: {
    id: 4,
    suffix: ['birth'],
    qos: 1,
    retain: false,
    direction: 'agent→controller',
    maxBytes: 16 * KiB,
    description: 'Published right after connect, with the bdSeq of this session',
  },
  death: {
    id: 5,
    suffix: ['death'],
    qos: 1,
    retain: false,
    direction: 'agent→controller',
    maxBytes: 1 * KiB,
    description: 'Registered as the MQTT will; sent by the broker when the session dies',
  },
  status: {
    id: 6,
    suffix: ['status'],
    qos: 1,
    retain: true,
    direction: 'agent→controller',
    maxBytes: 16 * KiB,
    description: "Device's last self-reported state",
  },
  health: {
    id: 7,
    suffix: ['health'],
    qos: 0,
    retain: false,
    direction: 'agent→controller',
    maxBytes: 16 * KiB,
    description: 'Periodic telemetry (fps, latency, drops, outbox, provider, uptime)',
  },
  desiredModel: {
    id: 8,
    suffix: ['cmd', 'model'],
    qos: 1,
    retain: true,
    direction: 'controller→agent',
    maxBytes: 8 * KiB,
    description: 'Which model the device should run (desired state)',
  },
  modelReport: {
    id: 9,
    suffix: ['model', 'report'],
    qos: 1,
    retain: false,
    direction: 'agent→controller',
    maxBytes: 8 * KiB,
    description: 'Progress/outcome of converging to the desired model',
  },
  threshold: {
    id: 10,
    suffix: ['cfg', 'threshold', '{camera}'],
    qos: 1,
    retain: true,
    direction: 'controller→agent',
    maxBytes: 1 * KiB,
    description: 'Per-camera score threshold (desired state)',
  },
  verdict: {
    id: 11,
    suffix: ['verdict', '{camera}'],
    qos: 1,
    retain: false,
    direction: 'agent→line',
    maxBytes: 2 * KiB,
    description: 'Per-frame verdict (ok / anomalous / uncertain) with part id, for line software',
  },
  capture: {
    id: 12,
    suffix: ['cmd', 'capture', '{camera}'],
    qos: 1,
    retain: false,
    direction: 'line→agent',
    maxBytes: 1 * KiB,
    description: 'Capture one frame on a trigger camera, tagged with the part id',
  },
  scoreSketch: {
    id: 13,
    suffix: ['sketch', '{camera}'],
    qos: 1,
    retain: false,
    direction: 'agent→controller',
    maxBytes: 32 * KiB,
    description: 'Per-camera score quantile sketch of one scoring window (every scored frame)',
  },
} as const satisfies Record<string, KindSpec>;

export type MessageKind = keyof typeof KINDS;
export const MESSAGE_KINDS = Object.freeze(Object.keys(KINDS) as MessageKind[]);

/** Kinds whose topic carries a `{camera}` segment. */
export type CameraKind = {
  [K in MessageKind]: (typeof KINDS)[K]['suffix'] extends readonly [...string[], '{camera}'] ? K : never;
}[MessageKind];

const BY_ID: ReadonlyMap<number, MessageKind> = new Map(MESSAGE_KINDS.map((k) => [KINDS[k].id, k]));

export function isMessageKind(value: unknown): value is MessageKind {
  return typeof value === 'string' && Object.hasOwn(KINDS, value);
}

export function kindById(id: number): MessageKind | undefined {
  return BY_ID.get(id);
}

export function hasCameraSegment(kind: MessageKind): boolean {
  return (KINDS[kind].suffix as readonly string[]).includes('{camera}');
}
