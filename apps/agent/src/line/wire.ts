/**
 * Builds the agent's line side from its parts: the LinePort over the pipeline and sources, the pipeline hooks that
 * feed it, the MQTT verdict topic and the local inference API. Kept out of agent.ts so wiring the line is a few
 * calls there.
 */
import type { DeviceAddress, Publication } from '@linewatch/protocol';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Pipeline, PipelineHooks } from '../pipeline.js';
import type { FrameSource } from '../sources/frame.js';
import { TriggerSource } from '../sources/trigger.js';
import type { StatusRegistry } from '../status.js';
import type { Thresholds } from '../thresholds.js';
import { AgentError } from '../errors.js';
import { AgentLinePort } from './agent-port.js';
import { buildLineApi } from './api/app.js';
import { ApiScorer } from './api/scorer.js';
import { LineApiServer } from './api/serve.js';
import { VerdictTopic } from './verdict-topic.js';

export interface LineParts {
  readonly cfg: AgentConfig;
  readonly sources: ReadonlyMap<string, FrameSource>;
  readonly registry: StatusRegistry;
  /** The pipeline is built after the port (its hooks feed the port): read it when asked. */
  readonly pipeline: () => Pipeline;
  readonly log: Logger;
}

export function agentLinePort(p: LineParts): AgentLinePort {
  const band = p.cfg.integration.verdicts.uncertainBand;
  return new AgentLinePort({
    sources: p.sources,
    dropped: (camera) => {
      const c = p.pipeline().cameras.get(camera);
      return c ? c.slot.dropped + c.invalid : 0;
    },
    // A camera with an active problem (source failed or stalled) is offline until it delivers again.
    online: (camera) => !p.registry.problems.has(camera),
    modelVersion: () => p.pipeline().model.version,
    ...(band ? { uncertainBand: band } : {}),
    listenerFailed: (reason) => p.log('warn', `verdict listener failed: ${reason}`),
  });
}

/** What the pipeline tells the line port. */
export function lineHooks(port: AgentLinePort): Pick<PipelineHooks, 'judged' | 'unscored'> {
  return {
    judged: (s) => void port.scored(s),
    unscored: (_camera, frame, reason) => port.unscored(frame, reason),
  };
}

export function verdictTopic(
  p: Pick<LineParts, 'cfg' | 'sources' | 'log'>,
  address: DeviceAddress,
  port: AgentLinePort,
  publish: (pub: Publication) => Promise<boolean>,
  now: () => number,
): VerdictTopic | undefined {
  const v = p.cfg.integration.verdicts;
  if (!v.enabled) return undefined;
  const perCamera = new Map(p.cfg.cameras.map((c) => [c.id, c.verdictMinIntervalMs ?? v.minIntervalMs]));
  return new VerdictTopic({
    address,
    port,
    publish,
    minIntervalMs: (camera) => (p.sources.get(camera) instanceof TriggerSource ? 0 : (perCamera.get(camera) ?? 0)),
    now,
    warn: (message) => p.log('warn', message),
  });
}

/** The local inference API when integration.api.enabled (off by default). */
export function lineApi(p: LineParts, port: AgentLinePort, thresholds: Thresholds): LineApiServer | undefined {
  const api = p.cfg.integration.api;
  if (!api.enabled) return undefined;
  const cameras = new Set(p.cfg.cameras.map((c) => c.id));
  const band = p.cfg.integration.verdicts.uncertainBand;
  const app = buildLineApi({
    port,
    scorer: new ApiScorer({ model: () => p.pipeline().model, concurrency: api.concurrency, queueSize: api.queueSize }),
    threshold: (camera, model) => {
      const own = model.manifest.threshold.value;
      if (camera === undefined) return own;
      if (!cameras.has(camera)) throw new AgentError('LW_AGENT_UNKNOWN_CAMERA', `no camera ${camera}`, { camera });
      return thresholds.get(camera, model.version, own);
    },
    maxBodyBytes: api.maxBodyBytes,
    maxPixels: api.maxPixels,
    ...(band ? { uncertainBand: band } : {}),
    ...(api.token !== undefined ? { token: api.token } : {}),
    log: p.log,
  });
  return new LineApiServer(app, api, p.log);
}
