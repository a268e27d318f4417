/**
 * The local inference API as a fastify app (`buildLineApi`): score an image (JSON with heatmap and mask, or just
 * one PNG), fire a trigger camera, list cameras. Route shapes come from @linewatch/protocol/http (agent-api.ts)
 * through the TypeBox type provider; bodies are read as raw bytes for the three image types only. Listening
 * (loopback or unix socket) is serve.ts's job, so tests drive this factory with `inject`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { fastify } from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentCamerasRoute, AgentInferImageRoute, AgentInferRoute, AgentTriggerRoute } from '@linewatch/protocol/http';
import type { AgentCamerasBody, InferQuery, InferResult } from '@linewatch/protocol/http';
import { AgentError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { LoadedModel } from '../../model/loaded-model.js';
import type { LinePort } from '../port.js';
import { judge } from '../verdict.js';
import { installErrorHandler } from './errors.js';
import { decodeBody, heatmapOf, IMAGE_TYPES, mapOverImage, maskOf } from './image.js';
import type { ApiScorer } from './scorer.js';

export interface LineApiOptions {
  readonly port: LinePort;
  readonly scorer: ApiScorer;
  /** The threshold a camera's frames are judged by on `model` (no camera: the model's own); throws for unknown ids. */
  readonly threshold: (camera: string | undefined, model: LoadedModel) => number;
  readonly uncertainBand?: readonly [number, number];
  readonly maxBodyBytes: number;
  readonly maxPixels: number;
  /** When set, requests need `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly log?: Logger;
}

type Outcome = { result: InferResult; heatmap: Buffer; mask: Buffer };

export function buildLineApi(opts: LineApiOptions): FastifyInstance {
  const app = fastify({ logger: false, bodyLimit: opts.maxBodyBytes }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandler(app, opts.log);
  for (const type of IMAGE_TYPES)
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
  if (opts.token !== undefined) app.addHook('onRequest', bearer(opts.token));

  app.route({
    ...AgentInferRoute,
    handler: async (req) => (await infer(opts, req, req.query)).result,
  });
  app.route({
    ...AgentInferImageRoute,
    handler: async (req, reply) => {
      const { result, heatmap, mask } = await infer(opts, req, req.query);
      return sendPng(reply, req.params.image === 'heatmap' ? heatmap : mask, result);
    },
  });
  app.route({
    ...AgentTriggerRoute,
    handler: async (req) => {
      const { partId } = req.query;
      return opts.port.capture({ camera: req.params.camera, ...(partId !== undefined ? { partId } : {}) });
    },
  });
  app.route({ ...AgentCamerasRoute, handler: async () => cameras(opts.port) });
  return app;
}

/**
 * The PNG itself, the numbers in headers. The route declares no 2xx schema (that is how clients know the answer is
 * bytes), so the schema-typed reply only admits error bodies: the bytes go out through a plain FastifyReply.
 */
function sendPng(reply: FastifyReply, png: Buffer, r: InferResult): FastifyReply {
  return reply
    .type('image/png')
    .header('x-linewatch-score', String(r.score))
    .header('x-linewatch-threshold', String(r.threshold))
    .header('x-linewatch-verdict', r.verdict)
    .header('x-linewatch-anomalous-percent', String(r.mask.anomalousPercent))
    .header('x-linewatch-model-version', r.modelVersion)
    .send(png);
}

function bearer(token: string) {
  const want = Buffer.from(`Bearer ${token}`);
  return async (req: FastifyRequest): Promise<void> => {
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== want.length || !timingSafeEqual(got, want))
      throw new AgentError('LW_AGENT_API_UNAUTHORIZED', 'missing or wrong bearer token');
  };
}

async function infer(opts: LineApiOptions, req: FastifyRequest, q: InferQuery): Promise<Outcome> {
  const t0 = performance.now();
  const body = req.body;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!Buffer.isBuffer(body))
    throw new AgentError(
      'LW_AGENT_API_UNSUPPORTED_MEDIA',
      `send ${IMAGE_TYPES.join(', ')}, not "${type || 'nothing'}"`,
    );
  if (q.camera !== undefined) opts.threshold(q.camera, opts.scorer.model()); // unknown camera: 404 before scoring
  const image = await decodeBody(body, type, q, opts.maxPixels);
  const t1 = performance.now();
  const { result, model, queueMs, inferMs } = await opts.scorer.score(image);
  const t2 = performance.now();
  const threshold = opts.threshold(q.camera, model);
  const maskThreshold = q.maskThreshold ?? threshold;
  const map = mapOverImage(result.map, image);
  const [heatmap, mask] = await Promise.all([heatmapOf(map, threshold), maskOf(map, maskThreshold)]);
  const t3 = performance.now();
  const { normalized, verdict } = judge(result.score, threshold, opts.uncertainBand);
  return {
    heatmap,
    mask: mask.png,
    result: {
      score: result.score,
      threshold,
      normalized,
      verdict,
      modelVersion: model.version,
      ...(q.camera !== undefined ? { camera: q.camera } : {}),
      width: image.width,
      height: image.height,
      timing: { queueMs, decodeMs: t1 - t0, inferMs, encodeMs: t3 - t2, totalMs: t3 - t0 },
      heatmapPng: heatmap.toString('base64'),
      mask: { threshold: maskThreshold, anomalousPercent: mask.anomalousPercent, png: mask.png.toString('base64') },
    },
  };
}

function cameras(port: LinePort): AgentCamerasBody {
  return {
    modelVersion: port.modelVersion(),
    cameras: port.cameras().map((c) => {
      const last = port.lastVerdict(c.id);
      return { ...c, counters: port.counters(c.id), ...(last ? { lastVerdict: last } : {}) };
    }),
  };
}
