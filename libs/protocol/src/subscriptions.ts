/**
 * Subscription filters for each side, derived from the KINDS table so that a new kind is subscribed to automatically
 * by the side it is addressed to.
 */
import { fail } from './errors.js';
import { KINDS, MESSAGE_KINDS } from './kinds.js';
import type { Direction, MessageKind, QoS } from './kinds.js';
import { TOPIC_ROOT, TOPIC_VERSION, assertSegment, devicePrefix } from './topics.js';
import type { DeviceAddress } from './topics.js';

export interface Subscription {
  readonly topic: string;
  readonly qos: QoS;
  readonly kind: MessageKind;
}

export interface Scope {
  readonly site?: string;
  readonly line?: string;
  readonly device?: string;
}

export interface ControllerSubscriptionOptions extends Scope {
  /**
   * MQTT 5 shared-subscription group: replicas in one group split the ingest. Retained kinds (status) stay plain
   * subscriptions on purpose: brokers do not deliver retained messages to shared subscriptions (MQTT 5 §4.8.2), and
   * every replica needs the full device state anyway.
   */
  readonly sharedGroup?: string;
}

/** Filter for one kind within a scope; unset scope levels and `{camera}` become `+`. */
export function kindFilter(kind: MessageKind, scope: Scope = {}): string {
  const level = (value: string | undefined, role: string): string => {
    if (value === undefined) return '+';
    assertSegment(value, role);
    return value;
  };
  const suffix = (KINDS[kind].suffix as readonly string[]).map((s) => (s === '{camera}' ? '+' : s));
  return [
    TOPIC_ROOT,
    TOPIC_VERSION,
    level(scope.site, 'site'),
    level(scope.line, 'line'),
    level(scope.device, 'device'),
    ...suffix,
  ].join('/');
}

export function controllerSubscriptions(options: ControllerSubscriptionOptions = {}): Subscription[] {
  if (options.sharedGroup !== undefined) assertSegment(options.sharedGroup, 'share group');
  return kindsFor('agent→controller').map((kind) => {
    const filter = kindFilter(kind, options);
    const shared = options.sharedGroup !== undefined && !KINDS[kind].retain;
    return { kind, qos: KINDS[kind].qos, topic: shared ? `$share/${options.sharedGroup}/${filter}` : filter };
  });
}

/** What one agent subscribes to: its own commands, configs and acks, nothing else (ACLs should enforce the same). */
export function agentSubscriptions(address: DeviceAddress): Subscription[] {
  devicePrefix(address); // validates the address
  return [...kindsFor('controller→agent'), ...kindsFor('line→agent')].map((kind) => ({
    kind,
    qos: KINDS[kind].qos,
    topic: kindFilter(kind, address),
  }));
}

function kindsFor(direction: Direction): MessageKind[] {
  return MESSAGE_KINDS.filter((k) => KINDS[k].direction === direction);
}

/** MQTT filter matching (with `$share/<group>/` stripped), for routing received messages and for tests. */
export function topicMatches(filter: string, topic: string): boolean {
  if (typeof filter !== 'string' || typeof topic !== 'string')
    fail('LW_PROTO_INVALID_ARGUMENT', 'filter and topic must be strings');
  let f = filter.split('/');
  if (f[0] === '$share') {
    if (f.length < 3) return false;
    f = f.slice(2);
  }
  const t = topic.split('/');
  // Wildcards in the first level never match `$SYS`-style topics (MQTT 3.1.1 §4.7.2).
  if (t[0]?.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
