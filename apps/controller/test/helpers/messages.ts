/** Real protocol messages for ingest tests: a JPEG frame and an 8-bit greyscale PNG anomaly map. */
import { toPublication, type MessageOf } from '@linewatch/protocol';
import { encodeJpeg } from '@linewatch/vision';
import { grayPng } from './png.js';
import type { TestDevice } from './mqtt.js';

export const FRAME_W = 32;
export const FRAME_H = 24;

let cache: { jpeg: Uint8Array; map: Uint8Array } | null = null;
export async function images(): Promise<{ jpeg: Uint8Array; map: Uint8Array }> {
  if (cache) return cache;
  const rgb = new Uint8Array(FRAME_W * FRAME_H * 3).map((_, i) => (i * 7) % 256);
  const gray = new Uint8Array(FRAME_W * FRAME_H).map((_, i) => (i * 3) % 256);
  cache = {
    jpeg: new Uint8Array(await encodeJpeg({ width: FRAME_W, height: FRAME_H, channels: 3, data: rgb })),
    map: grayPng(FRAME_W, FRAME_H, gray),
  };
  return cache;
}

const addr = (d: TestDevice) => ({ site: d.site, line: d.line, device: d.id });

export async function eventPub(d: TestDevice, seq: number, over: Partial<MessageOf<'event'>> = {}) {
  const { jpeg, map } = await images();
  const camera = over.camera ?? 'cam-1';
  return toPublication(
    'event',
    { ...addr(d), camera },
    {
      eventId: `evt-${d.id}-${seq}`.padEnd(8, '0'),
      device: d.id,
      camera,
      seq,
      ts: Date.now(),
      modelVersion: 'm-1.0',
      score: 0.9,
      threshold: 0.5,
      jpeg,
      anomalyMap: map,
      ...over,
    },
  );
}

export function scorePub(d: TestDevice, camera: string, frame: number, score: number, ts: number) {
  return toPublication('score', { ...addr(d), camera }, { camera, frame, ts, score });
}

export function birthPub(d: TestDevice, bdSeq: number) {
  return toPublication('birth', addr(d), {
    device: d.id,
    bdSeq,
    ts: Date.now(),
    agentVersion: '0.1.0',
    modelVersion: 'm-1.0',
    executionProvider: 'cpu',
    cameras: [{ camera: 'cam-1', width: FRAME_W, height: FRAME_H, fps: 5 }],
  });
}

export function deathPub(d: TestDevice, bdSeq: number) {
  return toPublication('death', addr(d), { device: d.id, bdSeq, ts: Date.now() });
}

export function statusPub(d: TestDevice, bdSeq: number, over: Partial<MessageOf<'status'>> = {}) {
  return toPublication('status', addr(d), {
    device: d.id,
    bdSeq,
    ts: Date.now(),
    state: 'running',
    modelVersion: 'm-1.0',
    cameras: ['cam-1'],
    ...over,
  });
}

export function healthPub(d: TestDevice, over: Partial<MessageOf<'health'>> = {}) {
  return toPublication('health', addr(d), {
    device: d.id,
    ts: Date.now(),
    uptimeS: 12,
    modelVersion: 'm-1.0',
    executionProvider: 'cpu',
    cameras: [{ camera: 'cam-1', fps: 5, framesDropped: 0 }],
    latencyMs: { p50: 10, p99: 20 },
    outbox: { depth: 0, bytes: 0 },
    ...over,
  });
}
