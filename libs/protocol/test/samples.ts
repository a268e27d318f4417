/** Hand-written valid messages, one per kind: readable fixtures for example-based tests. */
import { pngHeader } from '../src/images.js';
import type { MessageKind, MessageOf } from '../src/index.js';

export const address = { site: 'plant-1', line: 'line-a', device: 'edge-07' } as const;
const ts = Date.UTC(2026, 10, 28, 12, 0, 0);

export const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);
export const mapPng = (() => {
  const head = pngHeader(32, 24);
  const out = new Uint8Array(head.length + 8);
  out.set(head);
  return out;
})();

export const samples: { [K in MessageKind]: MessageOf<K> } = {
  score: { camera: 'cam-1', frame: 41, ts, score: 0.12 },
  event: {
    eventId: '01JDV9G7ZK4M3Q8W2N5P6R7S8T',
    device: address.device,
    camera: 'cam-1',
    seq: 1234,
    ts,
    modelVersion: '2.3.0+57',
    score: 0.91,
    threshold: 0.5,
    jpeg,
    anomalyMap: mapPng,
    features: Float32Array.from([0.25, -1.5, 3]),
  },
  ack: { device: address.device, eventIds: ['01JDV9G7ZK4M3Q8W2N5P6R7S8T'], ts },
  birth: {
    device: address.device,
    bdSeq: 7,
    ts,
    agentVersion: '0.1.0',
    modelVersion: '2.3.0+57',
    executionProvider: 'cuda',
    cameras: [{ camera: 'cam-1', width: 1920, height: 1080, fps: 25 }],
  },
  death: { device: address.device, bdSeq: 7, ts },
  status: { device: address.device, bdSeq: 7, ts, state: 'running', modelVersion: '2.3.0+57', cameras: ['cam-1'] },
  health: {
    device: address.device,
    ts,
    uptimeS: 3600,
    modelVersion: '2.3.0+57',
    executionProvider: 'cpu',
    cameras: [{ camera: 'cam-1', fps: 24.8, framesDropped: 3 }],
    latencyMs: { p50: 18.5, p99: 41 },
    outbox: { depth: 2, bytes: 81_920 },
  },
  desiredModel: {
    device: address.device,
    rolloutId: 'ro-42',
    version: '2.4.0+61',
    packageUrl: 'https://controller.local/api/models/2.4.0+61/package',
    sha256: 'a'.repeat(64),
    signatureScheme: 'ed25519',
    signature: 'c2lnbmF0dXJl',
    rollback: false,
    shadow: { durationS: 600, minFrames: 1000 },
    issuedAt: ts,
  },
  modelReport: {
    device: address.device,
    rolloutId: 'ro-42',
    version: '2.4.0+61',
    state: 'failed',
    reason: { code: 'HASH_MISMATCH', message: 'sha256 differs' },
    liveVersion: '2.3.0+57',
    ts,
  },
  threshold: { camera: 'cam-1', threshold: 0.55, revision: 3, ts },
  verdict: {
    camera: 'cam-1',
    frame: 1042,
    partId: 'SN-0042',
    ts,
    score: 0.61,
    threshold: 0.55,
    normalized: 0.61 / 0.55,
    verdict: 'anomalous',
    modelVersion: '2.3.0+57',
    latencyMs: 38.5,
  },
  capture: { camera: 'cam-1', partId: 'SN-0042', requestId: 'plc-7', ts },
  scoreSketch: {
    camera: 'cam-1',
    modelVersion: '2.3.0+57',
    start: ts,
    durationMs: 60_000,
    threshold: 0.586,
    flagged: 2,
    sketch: { zero: 0, offset: -30, counts: [12, 0, 40, 7, 2] },
  },
};

/** Valid framing around arbitrary header bytes and parts (for reaching checks behind the framing). */
export function frame(kindId: number, header: Uint8Array | string, parts: Uint8Array[] = [], version = 1): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const size = 8 + h.length + 1 + parts.reduce((n, p) => n + 4 + p.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([0x4c, 0x57, version, kindId]);
  view.setUint32(4, h.length);
  out.set(h, 8);
  let off = 8 + h.length;
  out[off++] = parts.length;
  for (const p of parts) {
    view.setUint32(off, p.length);
    out.set(p, off + 4);
    off += 4 + p.length;
  }
  return out;
}
