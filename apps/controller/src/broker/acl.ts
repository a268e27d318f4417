/**
 * Device ACLs, derived from the protocol's topic table so they cannot drift from it:
 * - a device publishes only agent→controller and agent→line kinds, only under its own prefix
 *   linewatch/v1/{site}/{line}/{device};
 * - a device subscribes only to exactly its own controller→agent and line→agent filters (agentSubscriptions).
 */
import {
  KINDS,
  MESSAGE_KINDS,
  agentSubscriptions,
  devicePrefix,
  kindFilter,
  safeParseTopic,
  type DeviceAddress,
  type MessageKind,
} from '@linewatch/protocol';
import type { DeviceRow } from '../store/types.js';

export function addressOf(d: Pick<DeviceRow, 'id' | 'site' | 'line'>): DeviceAddress {
  return { site: d.site, line: d.line, device: d.id };
}

export function mayPublish(device: DeviceAddress, topic: string): boolean {
  if (!topic.startsWith(`${devicePrefix(device)}/`)) return false;
  const parsed = safeParseTopic(topic);
  return parsed.ok && isPublishedByAgents(parsed.topic.kind);
}

function isPublishedByAgents(kind: MessageKind): boolean {
  const direction = KINDS[kind].direction;
  return direction === 'agent→controller' || direction === 'agent→line';
}

export function maySubscribe(device: DeviceAddress, filter: string): boolean {
  return agentSubscriptions(device).some((s) => s.topic === filter);
}

/**
 * Client ids a device may use: its id, or the agent's default `lw-agent-<id>` (cut to 64 characters). Either way
 * the id is bound to the authenticated device, so nobody else can claim it (and take over the session).
 */
export function allowedClientIds(deviceId: string): string[] {
  return [deviceId, `lw-agent-${deviceId}`.slice(0, 64)];
}

/**
 * The same rules as topic filters, for a broker configured from outside (Mosquitto dynamic security): publish to
 * one filter per agent-published kind under the device's prefix (`{camera}` → `+`), subscribe to exactly the
 * agent's own filters (matched literally, so `#` or another device's filter is refused).
 */
export function deviceTopicRules(device: DeviceAddress): { publish: string[]; subscribe: string[] } {
  return {
    publish: MESSAGE_KINDS.filter(isPublishedByAgents).map((k) => kindFilter(k, device)),
    subscribe: agentSubscriptions(device).map((s) => s.topic),
  };
}
