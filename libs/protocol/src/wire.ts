/**
 * The two wire forms a payload can take, and how a reader tells them apart without being told.
 *
 * - `json` (protocol version 2): a UTF-8 JSON object `{"v":2,"kind":"score",…fields}`, for every kind without binary
 *   parts. Any MQTT tool (mosquitto_sub, Node-RED, Telegraf, broker rules) can read it.
 * - `envelope` (the binary envelope, envelope.ts): the only form for kinds with binary parts (event: JPEG, PNG map,
 *   float32 features, raw bytes instead of base64), and the form protocol-1 peers write for every kind.
 *
 * A JSON object starts with `{` (after optional JSON whitespace); an envelope starts with the magic "LW". So a reader
 * picks the form from the first byte, and a controller can read old and new agents side by side.
 */
import type { MessageKind } from './kinds.js';
import { MESSAGE_DEFS } from './messages/index.js';

/** Written as `v` in every JSON payload and announced in `birth.protocolVersion`. 1 = envelope-only peers. */
export const PROTOCOL_VERSION = 2 as const;
/** Values of `v` this build reads. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [2];
/** A peer that does not announce a version (a birth without `protocolVersion`) speaks this one: envelopes only. */
export const LEGACY_PROTOCOL_VERSION = 1 as const;

export type WireForm = 'json' | 'envelope';
export const WIRE_FORMS: readonly WireForm[] = ['json', 'envelope'];

/** MQTT 5 content types (PUBLISH property 3) of the two forms. */
export const CONTENT_TYPES: Readonly<Record<WireForm, string>> = Object.freeze({
  json: 'application/json',
  envelope: 'application/vnd.linewatch.envelope',
});

const OPEN_BRACE = 0x7b;
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** `json` when the first non-whitespace byte opens a JSON object, else `envelope` (which then checks its magic). */
export function wireFormOf(bytes: Uint8Array): WireForm {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (JSON_WHITESPACE.has(b)) continue;
    return b === OPEN_BRACE ? 'json' : 'envelope';
  }
  return 'envelope';
}

/** Kinds with binary parts travel as envelopes; every other kind as JSON. */
export function defaultWireForm(kind: MessageKind): WireForm {
  return MESSAGE_DEFS[kind].parts.length > 0 ? 'envelope' : 'json';
}

/** Whether `kind` can travel in `form` (a kind with binary parts has no JSON form). */
export function kindTravelsAs(kind: MessageKind, form: WireForm): boolean {
  return form === 'envelope' || MESSAGE_DEFS[kind].parts.length === 0;
}

/** The form a peer of protocol `version` reads and writes for `kind` (`undefined`: a peer that never said = 1). */
export function wireFormFor(kind: MessageKind, version: number | undefined): WireForm {
  return (version ?? LEGACY_PROTOCOL_VERSION) >= PROTOCOL_VERSION ? defaultWireForm(kind) : 'envelope';
}

/** MQTT 5 PUBLISH properties for a payload: its content type, and the UTF-8 indicator for JSON. */
export function mqtt5Properties(payload: Uint8Array): { contentType: string; payloadFormatIndicator: boolean } {
  const form = wireFormOf(payload);
  return { contentType: CONTENT_TYPES[form], payloadFormatIndicator: form === 'json' };
}
