/** Rough throughput of the hot paths (score per frame, event per anomaly). Run: npx tsx --conditions=@linewatch/source bench/codec.ts */
import { decode, encode, toPublication, fromPublication } from '../src/index.js';
import { address, samples } from '../test/samples.js';

function bench(name: string, n: number, fn: () => void): void {
  for (let i = 0; i < 1000; i++) fn(); // warm-up (and lazy compile)
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`${name.padEnd(36)} ${us.toFixed(2)} µs/op`);
}

const scoreBytes = encode('score', samples.score); // JSON (protocol 2)
const envelope = { wire: 'envelope' } as const;
const scoreEnvelope = encode('score', samples.score, envelope); // protocol 1
const bigEvent = { ...samples.event, jpeg: new Uint8Array(60_000).fill(1), anomalyMap: new Uint8Array(8_000) };
bigEvent.jpeg.set([0xff, 0xd8, 0xff]);
bigEvent.anomalyMap.set(samples.event.anomalyMap);
const eventBytes = encode('event', bigEvent);
const pub = toPublication('score', { ...address, camera: 'cam-1' }, samples.score);

bench('encode score', 100_000, () => encode('score', samples.score));
bench('decode score', 100_000, () => decode('score', scoreBytes));
bench('encode score (envelope, protocol 1)', 100_000, () => encode('score', samples.score, envelope));
bench('decode score (envelope, protocol 1)', 100_000, () => decode('score', scoreEnvelope));
bench('toPublication score', 100_000, () => toPublication('score', { ...address, camera: 'cam-1' }, samples.score));
bench('fromPublication score', 100_000, () => fromPublication(pub.topic, pub.payload));
bench('encode event (68 KB)', 5_000, () => encode('event', bigEvent));
bench('decode event (68 KB)', 5_000, () => decode('event', eventBytes));
