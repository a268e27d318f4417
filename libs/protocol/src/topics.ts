/**
 * Topic namespace: `linewatch/v1/{site}/{line}/{device}/<kind suffix>` (suffixes in kinds.ts). The version segment
 * lets v2 topics coexist with v1 on one broker during a migration; site/line/device come first so ACLs and
 * subscriptions can scope by plant, line or device with a single `+`/`#` filter.
 */
import { ProtocolError, fail } from './errors.js';
import { KINDS, MESSAGE_KINDS, hasCameraSegment, isMessageKind } from './kinds.js';
import type { CameraKind, MessageKind } from './kinds.js';

export const TOPIC_ROOT = 'linewatch';
export const TOPIC_VERSION = 'v1';
export const MAX_SEGMENT_LENGTH = 64;
/** Far below MQTT's 65,535-byte limit; anything longer is not ours and is rejected before splitting. */
export const MAX_TOPIC_LENGTH = 512;
/**
 * Ids double as topic segments, file names and DB keys: ASCII letters, digits, `.`, `_`, `-`, starting with a letter
 * or digit (which also rules out `$`-prefixed system topics and hidden files).
 */
const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface DeviceAddress {
  readonly site: string;
  readonly line: string;
  readonly device: string;
}

export type TopicParams<K extends MessageKind> = K extends CameraKind
  ? DeviceAddress & { readonly camera: string }
  : DeviceAddress;

export interface ParsedTopic extends DeviceAddress {
  readonly kind: MessageKind;
  /** Present for kinds whose topic carries a camera (score, event, threshold). */
  readonly camera?: string;
}

export type SegmentProblem = 'empty' | 'too-long' | 'wildcard' | 'separator' | 'charset' | 'not-a-string';

/** Why a segment is invalid, or undefined if it is fine. Exposed so UIs can validate ids as they are typed. */
export function segmentProblem(segment: unknown): SegmentProblem | undefined {
  if (typeof segment !== 'string') return 'not-a-string';
  if (segment.length === 0) return 'empty';
  if (segment.length > MAX_SEGMENT_LENGTH) return 'too-long';
  if (segment.includes('+') || segment.includes('#')) return 'wildcard';
  if (segment.includes('/')) return 'separator';
  if (!SEGMENT_RE.test(segment)) return 'charset';
  return undefined;
}

export function isValidSegment(segment: unknown): segment is string {
  return segmentProblem(segment) === undefined;
}

export function assertSegment(segment: unknown, role: string): asserts segment is string {
  const problem = segmentProblem(segment);
  if (problem) {
    fail('LW_PROTO_TOPIC_SEGMENT', `${role} segment is invalid (${problem})`, {
      role,
      problem,
      segment: typeof segment === 'string' ? segment.slice(0, MAX_SEGMENT_LENGTH + 1) : typeof segment,
    });
  }
}

/** `linewatch/v1/{site}/{line}/{device}` */
export function devicePrefix(address: DeviceAddress): string {
  if (typeof address !== 'object' || address === null) fail('LW_PROTO_INVALID_ARGUMENT', 'address must be an object');
  assertSegment(address.site, 'site');
  assertSegment(address.line, 'line');
  assertSegment(address.device, 'device');
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${address.site}/${address.line}/${address.device}`;
}

export function buildTopic<K extends MessageKind>(kind: K, params: TopicParams<K>): string {
  if (!isMessageKind(kind)) fail('LW_PROTO_UNKNOWN_KIND', 'unknown message kind', { kind: String(kind) });
  const prefix = devicePrefix(params);
  const suffix = (KINDS[kind].suffix as readonly string[]).map((s) => {
    if (s !== '{camera}') return s;
    const camera = (params as { camera?: unknown }).camera;
    assertSegment(camera, 'camera');
    return camera;
  });
  return `${prefix}/${suffix.join('/')}`;
}

/** Topic string → address + kind (+ camera). Throws LW_PROTO_TOPIC_* for anything that is not a concrete v1 topic. */
export function parseTopic(topic: string): ParsedTopic {
  if (typeof topic !== 'string') fail('LW_PROTO_INVALID_ARGUMENT', 'topic must be a string', { got: typeof topic });
  if (topic.length > MAX_TOPIC_LENGTH)
    fail('LW_PROTO_TOPIC_MALFORMED', 'topic too long', { length: topic.length, limit: MAX_TOPIC_LENGTH });
  const segs = topic.split('/');
  if (segs[0] !== TOPIC_ROOT) fail('LW_PROTO_TOPIC_MALFORMED', `topic must start with "${TOPIC_ROOT}/"`, { topic });
  if (segs[1] !== TOPIC_VERSION)
    fail('LW_PROTO_TOPIC_MALFORMED', `unsupported topic version`, { topic, version: segs[1] ?? null });
  if (segs.length < 6) fail('LW_PROTO_TOPIC_MALFORMED', 'topic too short', { topic });
  const [site, line, device] = segs.slice(2, 5);
  assertSegment(site, 'site');
  assertSegment(line, 'line');
  assertSegment(device, 'device');
  const rest = segs.slice(5);
  for (const kind of MESSAGE_KINDS) {
    const suffix = KINDS[kind].suffix as readonly string[];
    if (suffix.length !== rest.length) continue;
    if (!suffix.every((s, i) => s === '{camera}' || s === rest[i])) continue;
    if (!hasCameraSegment(kind)) return { site, line, device, kind };
    const camera = rest[suffix.indexOf('{camera}')];
    assertSegment(camera, 'camera');
    return { site, line, device, kind, camera };
  }
  fail('LW_PROTO_TOPIC_UNKNOWN_KIND', `no message kind has topic suffix "${rest.join('/')}"`, {
    topic,
    suffix: rest.join('/'),
  });
}

export type ParseTopicResult = { ok: true; topic: ParsedTopic } | { ok: false; error: ProtocolError };

/** Non-throwing variant for hot paths that just want to drop foreign topics. */
export function safeParseTopic(topic: string): ParseTopicResult {
  try {
    return { ok: true, topic: parseTopic(topic) };
  } catch (error) {
    if (error instanceof ProtocolError) return { ok: false, error };
    throw error;
  }
}
