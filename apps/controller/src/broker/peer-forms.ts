/**
 * Answers every agent in the wire form it reads, so a fleet can upgrade in waves (protocol's wire.ts). A protocol-2
 * agent reads JSON; an agent from before it (protocol 1) reads only binary envelopes. The controller learns which
 * one a device is from what the device sends, before any handler sees it:
 *
 * - its birth: `protocolVersion`, absent in a protocol-1 agent's birth;
 * - the form of its other messages except events (events are envelopes from every agent): a protocol-2 agent sends
 *   JSON, a protocol-1 agent envelopes. Its retained status is delivered to every controller replica as soon as it
 *   subscribes (a plain subscription, protocol's controllerSubscriptions), so each replica knows every connected
 *   device's form even when shared subscriptions send its birth to another replica, or it restarted.
 *
 * Commands to a device whose version is not known yet go out as envelopes: every agent reads those. The bus wrapper
 * re-encodes a JSON command (ack, desiredModel, threshold) as an envelope for a protocol-1 device; everything else
 * passes unchanged, so publishers (ack batcher, rollouts, line convergence) need not know.
 */
import {
  KINDS,
  decode,
  encode,
  safeParseTopic,
  wireFormFor,
  wireFormOf,
  LEGACY_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type MessageKind,
} from '@linewatch/protocol';
import type { Bus, BusHandler, BusPublication } from './bus.js';

export class PeerProtocols {
  private readonly byDevice = new Map<string, number>();

  /** The protocol version `device` last showed, or undefined before it sent anything. */
  versionOf(device: string): number | undefined {
    return this.byDevice.get(device);
  }

  /** Learns from one delivery (never throws: malformed input is ingest's to report). */
  observe(topic: string, payload: Buffer): void {
    const parsed = safeParseTopic(topic);
    if (!parsed.ok || payload.length === 0) return;
    const { kind, device } = parsed.topic;
    if (KINDS[kind].direction !== 'agent→controller' || kind === 'event') return;
    const form = wireFormOf(payload);
    let version: number = form === 'json' ? PROTOCOL_VERSION : LEGACY_PROTOCOL_VERSION;
    if (kind === 'birth') {
      try {
        version = decode('birth', payload).protocolVersion ?? version;
      } catch {
        return;
      }
    }
    this.byDevice.set(device, version);
  }

  /** `p` as the device it is addressed to reads it: a controller→agent JSON payload becomes an envelope for protocol 1. */
  adapt(p: BusPublication): BusPublication {
    const parsed = safeParseTopic(p.topic);
    if (!parsed.ok || p.payload.length === 0) return p; // an empty retained payload clears a topic: no form
    const { kind, device } = parsed.topic;
    if (KINDS[kind].direction !== 'controller→agent') return p;
    if (wireFormFor(kind, this.byDevice.get(device)) !== 'envelope' || wireFormOf(p.payload) !== 'json') return p;
    return { ...p, payload: asEnvelope(kind, p.payload) };
  }
}

function asEnvelope(kind: MessageKind, payload: Uint8Array): Uint8Array {
  // Our own publication, already validated by toPublication: decoding it again cannot fail.
  return encode(kind, decode(kind, payload) as never, { wire: 'envelope' });
}

/** `bus` with every delivery observed by `peers` first, and every publication adapted to its addressee. */
export function answeringEachPeerInItsForm<B extends Bus>(bus: B, peers: PeerProtocols): Bus {
  return {
    subscribe(filter: string, handler: BusHandler, qos) {
      return bus.subscribe(
        filter,
        (topic, payload) => {
          peers.observe(topic, payload);
          handler(topic, payload);
        },
        qos,
      );
    },
    publish: (p) => bus.publish(peers.adapt(p)),
    close: () => bus.close(),
    get connected() {
      return bus.connected;
    },
  };
}
