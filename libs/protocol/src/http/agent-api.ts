/**
 * The agent's local inference API (issue 19): line software on the same machine hands the agent an image and gets
 * the verdict, heatmap and a binary mask back, or fires a trigger camera. Loopback or a unix socket only; optional
 * bearer token. Error bodies are `ErrorBody` with `LW_AGENT_*` codes.
 */
import { Type, type Static } from '@sinclair/typebox';
import { VerdictSchema, VERDICTS } from '../messages/verdict.js';
import { ErrorBody } from './common.js';

const agentErrors = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};

/** Camera ids as in the agent's config. */
const CameraParam = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });

export const InferQuery = Type.Object(
  {
    /** Judge with this camera's threshold (default: the live model's threshold). */
    camera: Type.Optional(CameraParam),
    /** Raw RGB bodies (`application/octet-stream`): width and height in pixels; the body is width × height × 3. */
    width: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    height: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    /** Threshold for the binary mask, in anomaly-map units (default: the threshold the verdict used). */
    maskThreshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
  },
  { additionalProperties: false },
);
export type InferQuery = Static<typeof InferQuery>;

export const InferTiming = Type.Object({
  /** Waiting for a turn at the model (behind camera frames and other requests). */
  queueMs: Type.Number({ minimum: 0 }),
  decodeMs: Type.Number({ minimum: 0 }),
  /** Preprocess + model run. */
  inferMs: Type.Number({ minimum: 0 }),
  /** Heatmap and mask PNGs. */
  encodeMs: Type.Number({ minimum: 0 }),
  totalMs: Type.Number({ minimum: 0 }),
});
export type InferTiming = Static<typeof InferTiming>;

export const InferResult = Type.Object({
  score: Type.Number({ minimum: 0 }),
  threshold: Type.Number({ minimum: 0 }),
  /** score ÷ threshold. */
  normalized: Type.Number({ minimum: 0 }),
  verdict: Type.Union(VERDICTS.map((v) => Type.Literal(v))),
  modelVersion: Type.String(),
  camera: Type.Optional(Type.String()),
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
  timing: InferTiming,
  /** Colour heatmap of the anomaly map, image-sized PNG, base64. */
  heatmapPng: Type.String(),
  mask: Type.Object({
    threshold: Type.Number({ minimum: 0 }),
    /** Share of the image above the mask threshold, 0–100. */
    anomalousPercent: Type.Number({ minimum: 0, maximum: 100 }),
    /** Image-sized 8-bit PNG: 255 anomalous, 0 normal; base64. */
    png: Type.String(),
  }),
});
export type InferResult = Static<typeof InferResult>;

export const AgentInferRoute = {
  method: 'POST',
  url: '/v1/infer',
  schema: {
    description: 'Score one image: image/jpeg, image/png, or raw RGB (application/octet-stream + width, height)',
    consumes: ['image/jpeg', 'image/png', 'application/octet-stream'],
    querystring: InferQuery,
    response: { 200: InferResult, ...agentErrors },
  },
} as const;

export const InferImageParams = Type.Object(
  { image: Type.Union([Type.Literal('heatmap'), Type.Literal('mask')]) },
  { additionalProperties: false },
);
export type InferImageParams = Static<typeof InferImageParams>;

/** The same scoring, answered with just one PNG; score, verdict and mask share in `x-linewatch-*` headers. */
export const AgentInferImageRoute = {
  method: 'POST',
  url: '/v1/infer/:image',
  schema: {
    description: 'Score one image and answer with the heatmap or mask PNG itself',
    consumes: ['image/jpeg', 'image/png', 'application/octet-stream'],
    produces: ['image/png'],
    params: InferImageParams,
    querystring: InferQuery,
    response: { ...agentErrors },
  },
} as const;

export const TriggerParams = Type.Object({ camera: CameraParam }, { additionalProperties: false });
export type TriggerParams = Static<typeof TriggerParams>;
export const TriggerQuery = Type.Object(
  { partId: Type.Optional(VerdictSchema.properties.partId) },
  { additionalProperties: false },
);
export type TriggerQuery = Static<typeof TriggerQuery>;

/** The verdict message's fields (without its MQTT schema id). */
export const TriggerVerdict = Type.Object(VerdictSchema.properties);
export type TriggerVerdict = Static<typeof TriggerVerdict>;

export const AgentTriggerRoute = {
  method: 'POST',
  url: '/v1/trigger/:camera',
  schema: {
    description: "Fire a trigger camera; answers with the captured frame's verdict (also published on MQTT)",
    params: TriggerParams,
    querystring: TriggerQuery,
    response: { 200: TriggerVerdict, ...agentErrors },
  },
} as const;

export const LineCameraView = Type.Object({
  id: Type.String(),
  trigger: Type.Boolean(),
  online: Type.Boolean(),
  counters: Type.Object({
    ok: Type.Integer({ minimum: 0 }),
    anomalous: Type.Integer({ minimum: 0 }),
    uncertain: Type.Integer({ minimum: 0 }),
    dropped: Type.Integer({ minimum: 0 }),
  }),
  lastVerdict: Type.Optional(TriggerVerdict),
});
export type LineCameraView = Static<typeof LineCameraView>;

export const AgentCamerasBody = Type.Object({ modelVersion: Type.String(), cameras: Type.Array(LineCameraView) });
export type AgentCamerasBody = Static<typeof AgentCamerasBody>;

export const AgentCamerasRoute = {
  method: 'GET',
  url: '/v1/cameras',
  schema: {
    description: 'Cameras with their counters and last verdict, and the live model version',
    response: { 200: AgentCamerasBody, ...agentErrors },
  },
} as const;
