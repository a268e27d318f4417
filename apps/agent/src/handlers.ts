/**
 * One handler per inbound message kind — controller→agent (ack, threshold, desired model) and line→agent (capture)
 * — and the dispatcher the MQTT link calls. Handlers receive messages already decoded and schema-checked by the protocol's fromPublication; anything
 * malformed is logged as LW_AGENT_BAD_MESSAGE and dropped, never thrown at the MQTT client.
 */
import { fromPublication, isProtocolError, parseTopic } from '@linewatch/protocol';
import type { AckMessage, CaptureMessage, DesiredModelMessage, ThresholdMessage } from '@linewatch/protocol';
import { isAgentError, reasonOf } from './errors.js';
import type { LinePort } from './line/port.js';
import type { Logger } from './log.js';
import type { Updater } from './model/updater.js';
import type { Outbox } from './outbox.js';
import type { EventSender } from './sender.js';
import type { StatusRegistry } from './status.js';
import type { Thresholds } from './thresholds.js';

export interface InboundDeps {
  readonly outbox: Outbox;
  /** The outbox's byte budget (a full-outbox problem clears once it has drained to half). */
  readonly outboxMaxBytes: number;
  readonly sender: EventSender;
  readonly thresholds: Thresholds;
  readonly updater: Updater;
  readonly registry: StatusRegistry;
  /** Captures on trigger cameras (absent: capture commands are ignored). */
  readonly line?: LinePort;
  readonly log: Logger;
}

/** Deletes acked events; a full outbox stops being a problem once it has drained to half, a failing disk once writes succeed. */
export function handleAck(deps: InboundDeps, m: AckMessage): void {
  const { outbox, registry } = deps;
  if (outbox.ack(m.eventIds) === 0) return;
  const code = registry.problems.get('outbox')?.code;
  const drained = code === 'LW_AGENT_OUTBOX_FULL' && outbox.stats.bytes < deps.outboxMaxBytes / 2;
  if (drained || (code === 'LW_AGENT_OUTBOX_DISK' && outbox.lastWriteOk)) registry.resolve('outbox');
  deps.sender.pump();
}

export function handleThreshold(deps: InboundDeps, m: ThresholdMessage): void {
  if (!deps.thresholds.apply(m))
    deps.log('debug', `threshold for ${m.camera} ignored (stale revision or unknown camera)`);
}

export function handleDesiredModel(deps: InboundDeps, m: DesiredModelMessage): void {
  deps.updater.onDesired(m);
}

/**
 * A line's capture command: the trigger camera scores its next frame, tagged with the part id; the verdict goes out
 * on the verdict topic like every other. A refused or failed capture is logged with its code (nobody waits here).
 */
export function handleCapture(deps: InboundDeps, m: CaptureMessage): void {
  const line = deps.line;
  if (!line) return;
  const ref = `${m.camera}${m.partId !== undefined ? ` part ${m.partId}` : ''}${m.requestId ? ` (request ${m.requestId})` : ''}`;
  line.capture({ camera: m.camera, ...(m.partId !== undefined ? { partId: m.partId } : {}) }).then(
    (v) => deps.log('debug', `capture ${ref}: ${v.verdict}`),
    (e: unknown) => {
      const code = isAgentError(e) ? e.code : 'LW_AGENT_CAPTURE_FAILED';
      deps.log('warn', `capture ${ref}: ${reasonOf(e)}`, { code, camera: m.camera });
    },
  );
}

/** An empty retained payload clears a camera's threshold override (MQTT semantics, not a message). */
function handleEmpty(deps: InboundDeps, topic: string): void {
  const t = parseTopic(topic);
  if (t.kind === 'threshold' && t.camera) deps.thresholds.clear(t.camera);
}

/** The MQTT link's message callback. */
export function onMessage(deps: InboundDeps, topic: string, payload: Buffer): void {
  try {
    if (payload.length === 0) return handleEmpty(deps, topic);
    const got = fromPublication(topic, payload);
    if (got.kind === 'ack') handleAck(deps, got.message);
    else if (got.kind === 'threshold') handleThreshold(deps, got.message);
    else if (got.kind === 'desiredModel') handleDesiredModel(deps, got.message);
    else if (got.kind === 'capture') handleCapture(deps, got.message);
  } catch (e) {
    deps.log('warn', `LW_AGENT_BAD_MESSAGE: ${topic}: ${reasonOf(e)}`, {
      code: 'LW_AGENT_BAD_MESSAGE',
      protocol: isProtocolError(e) ? e.code : undefined,
    });
  }
}
