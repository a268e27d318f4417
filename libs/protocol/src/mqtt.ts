/**
 * Glue between the codec and an MQTT client, without depending on one: what to publish (topic, bytes, QoS, retain)
 * and what a received (topic, payload) pair means. Apps pass these straight to mqtt.js / aedes; over MQTT 5 they add
 * `mqtt5Properties(payload)` (wire.ts) so subscribers see the content type. `options.wire: 'envelope'` publishes the
 * protocol-1 form (for an agent that announced no protocol version); receiving accepts both forms.
 */
import { decode, encode } from './codec.js';
import type { CodecOptions } from './codec.js';
import { fail } from './errors.js';
import { KINDS } from './kinds.js';
import type { MessageKind, QoS } from './kinds.js';
import type { AnyMessage, MessageOf } from './messages/index.js';
import { buildTopic, parseTopic } from './topics.js';
import type { ParsedTopic, TopicParams } from './topics.js';

export interface Publication {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: QoS;
  readonly retain: boolean;
}

export function toPublication<K extends MessageKind>(
  kind: K,
  params: TopicParams<K>,
  message: MessageOf<K>,
  options?: CodecOptions,
): Publication {
  const topic = buildTopic(kind, params);
  const payload = encode(kind, message, options); // validates the message before we look inside it
  assertTopicMatchesMessage(parseTopic(topic), message);
  return { topic, payload, qos: KINDS[kind].qos, retain: KINDS[kind].retain };
}

/** The agent's MQTT will: register at connect, with the bdSeq that the following birth will carry. */
export function deathWill(
  address: TopicParams<'death'>,
  message: MessageOf<'death'>,
  options?: CodecOptions,
): Publication {
  return toPublication('death', address, message, options);
}

export type Received = AnyMessage & { readonly topic: ParsedTopic };

/**
 * Topic + payload (JSON or envelope) → typed message. The topic decides the kind; the payload's kind (envelope kind
 * byte, JSON `kind`) and its device/camera must agree with it, so a message cannot be replayed onto another device's topic unnoticed.
 */
export function fromPublication(topic: string, payload: Uint8Array, options?: CodecOptions): Received {
  const parsed = parseTopic(topic);
  const message = decode(parsed.kind, payload, options);
  assertTopicMatchesMessage(parsed, message);
  return { topic: parsed, kind: parsed.kind, message } as Received;
}

/** LW_PROTO_TOPIC_MISMATCH unless the payload's `device`/`camera` (where it has them) equal the topic's. */
export function assertTopicMatchesMessage(topic: ParsedTopic, message: object): void {
  if (typeof message !== 'object' || message === null) fail('LW_PROTO_INVALID_ARGUMENT', 'message must be an object');
  const m = message as { device?: unknown; camera?: unknown };
  if (m.device !== undefined && m.device !== topic.device) {
    fail('LW_PROTO_TOPIC_MISMATCH', 'payload device differs from topic device', {
      topic: topic.device,
      payload: String(m.device),
    });
  }
  if (topic.camera !== undefined && m.camera !== topic.camera) {
    fail('LW_PROTO_TOPIC_MISMATCH', 'payload camera differs from topic camera', {
      topic: topic.camera,
      payload: String(m.camera),
    });
  }
}
