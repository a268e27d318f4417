/**
 * Model registry: versions with lineage (parent, dataset snapshot, job), held-out metrics, calibrated threshold,
 * eligibility against the parent (with its reason), status and approval. Admins upload packages and approve
 * versions (approval starts a rollout by default, see rollouts.ts). Agents download packages through a short-lived
 * signed URL (HMAC over version, device and expiry) that the controller puts into the desiredModel message, since
 * the agent's downloader sends no credentials; signed-in users may download with their session.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, IsoDate, errorResponses } from './common.js';
import { HeldOutComparison, ThresholdCalibration } from './jobs.js';

/** Same pattern as the MQTT protocol's ModelVersion. */
export const RegistryVersion = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$',
  minLength: 1,
  maxLength: 64,
});

export const ModelStatus = Type.Union([
  Type.Literal('candidate'),
  Type.Literal('ineligible'),
  Type.Literal('approved'),
  Type.Literal('deployed'),
  Type.Literal('rolled-back'),
]);
export type ModelStatus = Static<typeof ModelStatus>;

const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);
export const HeldOutMetricsBody = Type.Object({
  imageAuroc: Rate,
  pixelAuroc: Rate,
  falseAlarmRate: Rate,
  n: Type.Integer({ minimum: 0 }),
});
const Verdict = Type.Union([
  Type.Literal('better'),
  Type.Literal('not-worse'),
  Type.Literal('worse'),
  Type.Literal('not-enough-data'),
]);
const MetricDecision = Type.Object({
  verdict: Verdict,
  diff: Type.Number(),
  lo: Type.Number(),
  hi: Type.Number(),
  /** tolerated loss (registry.aurocTolerance / falseAlarmTolerance) */
  margin: Type.Number({ minimum: 0 }),
});

/**
 * The controller's eligibility decision from the worker's intervals, kept with the version (lineage): overall
 * `not-enough-data` when a class has fewer held-out items than `minPerClass` or an interval is too wide to tell.
 */
export const EligibilityDecisionBody = Type.Object({
  decision: Type.Union([Type.Literal('eligible'), Type.Literal('ineligible'), Type.Literal('not-enough-data')]),
  minPerClass: Type.Integer({ minimum: 0 }),
  anomalous: Type.Integer({ minimum: 0 }),
  normal: Type.Integer({ minimum: 0 }),
  confidence: Type.Number(),
  imageAuroc: Type.Union([MetricDecision, Type.Null()]),
  falseAlarm: Type.Union([MetricDecision, Type.Null()]),
  /** From the worker's pixel bootstrap; absent when it sent none (pixel AUROC then compared as point values). */
  pixelAuroc: Type.Optional(Type.Union([MetricDecision, Type.Null()])),
  /** masked anomalous held-out images behind the pixel interval (minPerClass of them needed, and of normals) */
  masked: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type EligibilityDecisionBody = Static<typeof EligibilityDecisionBody>;

export const ModelMetricsBody = Type.Object({
  candidate: HeldOutMetricsBody,
  parent: Type.Union([HeldOutMetricsBody, Type.Null()]),
  comparison: Type.Optional(HeldOutComparison),
  calibration: Type.Optional(ThresholdCalibration),
  decision: Type.Optional(EligibilityDecisionBody),
});

export const ModelVersionBody = Type.Object({
  version: RegistryVersion,
  line: Type.Union([Type.String(), Type.Null()]),
  parentVersion: Type.Union([Type.String(), Type.Null()]),
  jobId: Type.Union([Type.String(), Type.Null()]),
  datasetSnapshotId: Type.Union([Type.String(), Type.Null()]),
  sha256: Type.String(),
  bytes: Type.Integer(),
  build: Type.Integer(),
  keyId: Type.String(),
  metrics: Type.Union([ModelMetricsBody, Type.Null()]),
  threshold: Type.Union([Type.Number(), Type.Null()]),
  /** null: nothing to compare with (no parent). */
  eligible: Type.Union([Type.Boolean(), Type.Null()]),
  eligibility: Type.String({ description: 'Why the version is (in)eligible, comparison by comparison' }),
  status: ModelStatus,
  createdBy: Type.String(),
  createdAt: IsoDate,
  /** The approving user's id. */
  approvedBy: Type.Union([Type.String(), Type.Null()]),
  /** The approving user's name, as people read it (null when unapproved, or the user was deleted). */
  approvedByName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  approvedAt: Type.Union([IsoDate, Type.Null()]),
  /**
   * Devices of the version's scope (its line, or the fleet) that report running it, of those reporting a model. A
   * parentless version every such device runs is the line's installed first model: live, not a candidate.
   */
  devices: Type.Optional(Type.Object({ running: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) })),
});
export type ModelVersionBody = Static<typeof ModelVersionBody>;

export const VersionParams = Type.Object({ version: RegistryVersion }, { additionalProperties: false });
export type VersionParams = Static<typeof VersionParams>;

export const ListModelsQuery = Type.Object(
  {
    line: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(ModelStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
export type ListModelsQuery = Static<typeof ListModelsQuery>;

export const ListModelsRoute = {
  method: 'GET',
  url: '/api/models',
  schema: {
    tags: ['models'],
    querystring: ListModelsQuery,
    response: { 200: Type.Object({ models: Type.Array(ModelVersionBody) }), ...errorResponses },
  },
} as const;

export const GetModelRoute = {
  method: 'GET',
  url: '/api/models/:version',
  schema: { tags: ['models'], params: VersionParams, response: { 200: ModelVersionBody, ...errorResponses } },
} as const;

/** Upload (admin): the body is the signed package tar (`application/octet-stream` or `application/x-tar`). */
export const UploadModelQuery = Type.Object(
  {
    /** Defaults to `<manifest version>+<build>`. */
    version: Type.Optional(RegistryVersion),
    line: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    parentVersion: Type.Optional(RegistryVersion),
    threshold: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type UploadModelQuery = Static<typeof UploadModelQuery>;

export const UploadModelRoute = {
  method: 'POST',
  url: '/api/models',
  schema: {
    tags: ['models'],
    querystring: UploadModelQuery,
    response: { 200: ModelVersionBody, 201: ModelVersionBody, ...errorResponses },
  },
} as const;

/** Partial rollout policy overrides (see RolloutPolicyBody in rollouts.ts). */
export const ApproveModelBody = Type.Object(
  {
    /** Start a rollout right away (default true). */
    startRollout: Type.Optional(Type.Boolean()),
    /** Scope of the rollout: a line, or null for the whole fleet. Defaults to the model's line. */
    line: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    policy: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type ApproveModelBody = Static<typeof ApproveModelBody>;

export const ApproveModelRoute = {
  method: 'POST',
  url: '/api/models/:version/approve',
  schema: {
    tags: ['models'],
    params: VersionParams,
    body: ApproveModelBody,
    response: {
      200: Type.Object({ model: ModelVersionBody, rolloutId: Type.Union([Id, Type.Null()]) }),
      ...errorResponses,
    },
  },
} as const;

/**
 * Package download with Range support (single range). Either a signed-in session, or the signed query
 * (`device`, `exp` epoch seconds, `sig` base64url HMAC) that desiredModel URLs carry.
 */
export const DownloadPackageQuery = Type.Object(
  {
    device: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    exp: Type.Optional(Type.Integer({ minimum: 0 })),
    sig: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type DownloadPackageQuery = Static<typeof DownloadPackageQuery>;

export const DownloadPackageRoute = {
  method: 'GET',
  url: '/api/models/:version/package',
  schema: { tags: ['models'], params: VersionParams, querystring: DownloadPackageQuery },
} as const;
