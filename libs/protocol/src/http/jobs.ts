/**
 * Training jobs, dataset snapshots and the trainer worker's API.
 *
 * Admin/UI side (session auth): enqueue a fine-tune for a line, list jobs with live progress, cancel, inspect a
 * dataset snapshot, per-line training-data counts.
 *
 * Worker side (`/api/worker/*`, `Authorization: Bearer <worker token>` from the controller config): claim a job
 * (sets a lease), heartbeat with progress (extends the lease), read the dataset manifest and its files, download
 * the parent package, upload the candidate package, complete or fail. Every write carries the `leaseId` the claim
 * returned; a worker that lost its lease (re-claimed after expiry, cancelled, finished) gets 409
 * `LW_CTRL_JOB_LEASE_LOST` and must drop the job. Completing twice with the same lease is idempotent.
 *
 * Flow: claim → GET manifestUrl → GET each item's imageUrl/maskUrl → GET parentPackageUrl → train → heartbeats →
 * PUT packageUrl (raw tar, `application/x-tar`) → POST complete {leaseId, packageSha256, metrics, threshold}.
 * All URLs in responses are absolute paths on the controller (prefix with the controller's base URL).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, IsoDate, Slug, errorResponses } from './common.js';

// --- shared shapes ----------------------------------------------------------------------------------------------

export const JobStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('claimed'),
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);
export type JobStatus = Static<typeof JobStatus>;

/** Model version strings (same pattern as the MQTT protocol's ModelVersion). */
export const JobModelVersion = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$',
  minLength: 1,
  maxLength: 64,
});

/** What a worker reports while it works; shown live in the UI. All fields but `phase` optional (null = unknown). */
export const JobProgress = Type.Object(
  {
    /** e.g. 'download', 'features', 'train', 'evaluate', 'calibrate', 'sign', 'upload' */
    phase: Type.String({ minLength: 1, maxLength: 32 }),
    epoch: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()])),
    epochs: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()])),
    loss: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    /** Estimated seconds left for the whole job. */
    etaS: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.Null()])),
    /** 0..1 over the whole job, when the worker can tell. */
    fraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    message: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type JobProgress = Static<typeof JobProgress>;

/** Held-out metrics of one model, measured by the worker. Null where not measurable (e.g. no masks held out). */
export const WorkerHeldOutMetrics = Type.Object(
  {
    imageAuroc: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
    pixelAuroc: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
    /** Fraction of held-out normal items flagged at the parent's threshold. */
    falseAlarmRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
    /** Held-out items evaluated. */
    n: Type.Integer({ minimum: 0 }),
    /**
     * Per defect type of the held-out anomalies (their defect class, else their loss kind `px` / `img`): that type's
     * anomalies against all held-out normals. Absent from workers before defect classes.
     */
    byClass: Type.Optional(
      Type.Array(
        Type.Object(
          {
            defectType: Type.String({ maxLength: 128 }),
            n: Type.Integer({ minimum: 0 }),
            imageAuroc: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
            pixelAuroc: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
          },
          { additionalProperties: false },
        ),
        { maxItems: 256 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type WorkerHeldOutMetrics = Static<typeof WorkerHeldOutMetrics>;

const Bound = Type.Number({ minimum: -1, maximum: 1 });
const RateInterval = Type.Object(
  { k: Type.Integer({ minimum: 0 }), rate: Type.Number({ minimum: 0, maximum: 1 }), lo: Bound, hi: Bound },
  { additionalProperties: false },
);

const Auroc = Type.Number({ minimum: 0, maximum: 1 });
const PixelAurocInterval = Type.Object(
  {
    method: Type.Literal('bootstrap-images'),
    candidate: Auroc,
    parent: Auroc,
    diff: Bound,
    lo: Bound,
    hi: Bound,
    resamples: Type.Integer({ minimum: 1 }),
    seed: Type.Integer(),
    /** held-out images in each stratum: normals and anomalies with a mask (image-only anomalies are not in it) */
    normal: Type.Integer({ minimum: 0 }),
    masked: Type.Integer({ minimum: 0 }),
    pixels: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/**
 * Candidate vs parent on the held-out items with intervals (libs/metrics `compareHeldOut`): the image-AUROC
 * difference by DeLong, the false-alarm-rate difference at the parent's threshold by Newcombe's paired interval.
 * The controller decides eligibility from these intervals and the class counts.
 */
export const HeldOutComparison = Type.Object(
  {
    confidence: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    anomalous: Type.Integer({ minimum: 0 }),
    normal: Type.Integer({ minimum: 0 }),
    imageAuroc: Type.Union([
      Type.Object(
        {
          method: Type.Literal('delong'),
          candidate: Type.Number({ minimum: 0, maximum: 1 }),
          parent: Type.Number({ minimum: 0, maximum: 1 }),
          diff: Bound,
          se: Type.Number({ minimum: 0 }),
          lo: Bound,
          hi: Bound,
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    falseAlarm: Type.Union([
      Type.Object(
        {
          method: Type.Literal('newcombe-paired'),
          threshold: Type.Number(),
          n: Type.Integer({ minimum: 1 }),
          candidate: RateInterval,
          parent: RateInterval,
          diff: Bound,
          lo: Bound,
          hi: Bound,
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    /**
     * Pixel-AUROC difference by a paired, seeded image-level bootstrap over the normals and masked anomalies
     * (libs/metrics `pixelAurocDifference`); null without both; absent from workers before it (point comparison).
     */
    pixelAuroc: Type.Optional(Type.Union([PixelAurocInterval, Type.Null()])),
  },
  { additionalProperties: false },
);
export type HeldOutComparison = Static<typeof HeldOutComparison>;

/** How the worker's threshold was calibrated: from how many normal frames, and the false-alarm rate's interval. */
export const ThresholdCalibration = Type.Object(
  {
    threshold: Type.Number(),
    quantile: Type.Number({ minimum: 0, maximum: 1 }),
    /** normal frames scored (held-out normals + the fine-tune's validation normals: none of them trained on) */
    normals: Type.Integer({ minimum: 0 }),
    /** the minimum the worker requires */
    minNormals: Type.Integer({ minimum: 1 }),
    heldOutNormals: Type.Integer({ minimum: 0 }),
    validationNormals: Type.Integer({ minimum: 0 }),
    falseAlarms: Type.Integer({ minimum: 0 }),
    falseAlarmRate: Type.Number({ minimum: 0, maximum: 1 }),
    lo: Type.Number({ minimum: 0, maximum: 1 }),
    hi: Type.Number({ minimum: 0, maximum: 1 }),
    confidence: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
  },
  { additionalProperties: false },
);
export type ThresholdCalibration = Static<typeof ThresholdCalibration>;

export const JobMetrics = Type.Object(
  {
    candidate: WorkerHeldOutMetrics,
    parent: Type.Union([WorkerHeldOutMetrics, Type.Null()]),
    /** Intervals behind the eligibility verdict (workers before this field send none: judged without intervals). */
    comparison: Type.Optional(HeldOutComparison),
    calibration: Type.Optional(ThresholdCalibration),
  },
  { additionalProperties: false },
);
export type JobMetrics = Static<typeof JobMetrics>;

export const DatasetCounts = Type.Object({
  /** confirmed with a painted mask → pixel loss (L_px) */
  px: Type.Integer({ minimum: 0 }),
  /** confirmed without a mask → image loss (L_img) */
  img: Type.Integer({ minimum: 0 }),
  /** normal data (label 0): rejected false alarms plus sampled normal frames */
  normal: Type.Integer({ minimum: 0 }),
  /** Of `normal`: flagged frames QA rejected as false alarms (absent on snapshots taken before origins were kept). */
  rejected: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Of `normal`: unflagged frames the agents sampled as normal (absent like `rejected`). */
  sampled: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type DatasetCounts = Static<typeof DatasetCounts>;

export const DatasetSplitCounts = Type.Object({ train: DatasetCounts, heldout: DatasetCounts });
export type DatasetSplitCounts = Static<typeof DatasetSplitCounts>;

export const JobView = Type.Object({
  id: Id,
  line: Slug,
  status: JobStatus,
  /** 'admin:<userId>' or 'policy' */
  trigger: Type.String(),
  /** The line's live model when the job was created: the fine-tune starts from it. */
  parentVersion: Type.Union([JobModelVersion, Type.Null()]),
  /** The version the worker must give its package (derived from the job id: re-runs produce the same version). */
  targetVersion: JobModelVersion,
  datasetSnapshotId: Id,
  /** The snapshot's item counts (in job lists and details for the UI; absent in worker responses). */
  datasetCounts: Type.Optional(DatasetSplitCounts),
  attempt: Type.Integer({ minimum: 0 }),
  maxAttempts: Type.Integer({ minimum: 1 }),
  leaseOwner: Type.Union([Type.String(), Type.Null()]),
  leaseExpiresAt: Type.Union([IsoDate, Type.Null()]),
  progress: Type.Union([JobProgress, Type.Null()]),
  resultVersion: Type.Union([JobModelVersion, Type.Null()]),
  metrics: Type.Union([JobMetrics, Type.Null()]),
  threshold: Type.Union([Type.Number(), Type.Null()]),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  errorMessage: Type.Union([Type.String(), Type.Null()]),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  startedAt: Type.Union([IsoDate, Type.Null()]),
  finishedAt: Type.Union([IsoDate, Type.Null()]),
});
export type JobView = Static<typeof JobView>;

export const JobIdParams = Type.Object({ id: Id }, { additionalProperties: false });
export type JobIdParams = Static<typeof JobIdParams>;

// --- admin / UI routes ------------------------------------------------------------------------------------------

export const CreateJobBody = Type.Object({ line: Slug }, { additionalProperties: false });
export type CreateJobBody = Static<typeof CreateJobBody>;

/** 201 with the new job; 409 LW_CTRL_JOB_OPEN when the line already has an open (queued/claimed/running) job. */
export const CreateJobRoute = {
  method: 'POST',
  url: '/api/jobs',
  schema: {
    tags: ['jobs'],
    description: "Admin: snapshot the line's review data and enqueue a fine-tune from the line's live model",
    body: CreateJobBody,
    response: { 201: JobView, ...errorResponses },
  },
} as const;

export const ListJobsQuery = Type.Object(
  {
    line: Type.Optional(Slug),
    status: Type.Optional(JobStatus),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  },
  { additionalProperties: false },
);
export type ListJobsQuery = Static<typeof ListJobsQuery>;

export const ListJobsRoute = {
  method: 'GET',
  url: '/api/jobs',
  schema: {
    tags: ['jobs'],
    description: 'Jobs on visible lines, newest first',
    querystring: ListJobsQuery,
    response: { 200: Type.Object({ jobs: Type.Array(JobView) }), ...errorResponses },
  },
} as const;

export const GetJobRoute = {
  method: 'GET',
  url: '/api/jobs/:id',
  schema: { tags: ['jobs'], params: JobIdParams, response: { 200: JobView, ...errorResponses } },
} as const;

/** Admin. Cancelling a finished job is 409 LW_CTRL_JOB_FINISHED; a worker holding it gets 409 on its next call. */
export const CancelJobRoute = {
  method: 'POST',
  url: '/api/jobs/:id/cancel',
  schema: { tags: ['jobs'], params: JobIdParams, response: { 200: JobView, ...errorResponses } },
} as const;

export const TrainingLineView = Type.Object({
  line: Slug,
  /** What a snapshot taken now would hold. */
  counts: DatasetCounts,
  /** Confirmed masks on the line not in the last job's snapshot (the policy's trigger count). */
  newMasks: Type.Integer({ minimum: 0 }),
  /** The policy threshold (null = automatic triggering off). */
  autoTriggerMinMasks: Type.Union([Type.Integer(), Type.Null()]),
  liveVersion: Type.Union([JobModelVersion, Type.Null()]),
  openJobId: Type.Union([Id, Type.Null()]),
  lastJobId: Type.Union([Id, Type.Null()]),
});
export type TrainingLineView = Static<typeof TrainingLineView>;

export const TrainingLinesRoute = {
  method: 'GET',
  url: '/api/training/lines',
  schema: {
    tags: ['jobs'],
    description: 'Per visible line: training-data counts, new masks since the last job, live model, open job',
    response: { 200: Type.Object({ lines: Type.Array(TrainingLineView) }), ...errorResponses },
  },
} as const;

export const DatasetSnapshotView = Type.Object({
  id: Id,
  line: Slug,
  createdAt: IsoDate,
  /** sha256 over the sorted item list: two snapshots with the same content have the same digest. */
  digest: Type.String(),
  counts: DatasetSplitCounts,
  /** The held-out fraction used for the deterministic split. */
  heldOutFraction: Type.Number(),
});
export type DatasetSnapshotView = Static<typeof DatasetSnapshotView>;

export const GetDatasetRoute = {
  method: 'GET',
  url: '/api/datasets/:id',
  schema: { tags: ['jobs'], params: JobIdParams, response: { 200: DatasetSnapshotView, ...errorResponses } },
} as const;

// --- worker routes (bearer worker token) ------------------------------------------------------------------------

/** Worker ids: shown in the UI as the lease owner. */
export const WorkerId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' });
export const LeaseId = Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' });

export const ClaimBody = Type.Object({ workerId: WorkerId }, { additionalProperties: false });
export type ClaimBody = Static<typeof ClaimBody>;

export const ClaimedJob = Type.Object({
  job: JobView,
  /** Send with every heartbeat/upload/complete/fail of this attempt. */
  leaseId: LeaseId,
  /** Heartbeat well within this (e.g. every leaseMs / 3). */
  leaseMs: Type.Integer({ minimum: 1 }),
  manifestUrl: Type.String(),
  /** null when the job has no parent (the worker then cannot fine-tune and should fail the job). */
  parentPackageUrl: Type.Union([Type.String(), Type.Null()]),
  /** PUT the raw package tar here (`?lease=<leaseId>`, content-type application/x-tar). */
  packageUrl: Type.String(),
  maxPackageBytes: Type.Integer({ minimum: 1 }),
});
export type ClaimedJob = Static<typeof ClaimedJob>;

/** 200 {claim} with the oldest claimable job (queued, or claimed/running with an expired lease), or {claim: null}. */
export const ClaimJobRoute = {
  method: 'POST',
  url: '/api/worker/claim',
  schema: {
    tags: ['worker'],
    body: ClaimBody,
    response: { 200: Type.Object({ claim: Type.Union([ClaimedJob, Type.Null()]) }), ...errorResponses },
  },
} as const;

export const HeartbeatBody = Type.Object({ leaseId: LeaseId, progress: JobProgress }, { additionalProperties: false });
export type HeartbeatBody = Static<typeof HeartbeatBody>;

export const HeartbeatResponse = Type.Object({ leaseExpiresAt: IsoDate, status: JobStatus });
export type HeartbeatResponse = Static<typeof HeartbeatResponse>;

/** Extends the lease and records progress (claimed → running on the first one). 409 LW_CTRL_JOB_LEASE_LOST. */
export const HeartbeatRoute = {
  method: 'POST',
  url: '/api/worker/jobs/:id/heartbeat',
  schema: {
    tags: ['worker'],
    params: JobIdParams,
    body: HeartbeatBody,
    response: { 200: HeartbeatResponse, ...errorResponses },
  },
} as const;

export const DatasetKind = Type.Union([Type.Literal('px'), Type.Literal('img'), Type.Literal('normal')]);
export type DatasetKind = Static<typeof DatasetKind>;
export const DatasetSplit = Type.Union([Type.Literal('train'), Type.Literal('heldout')]);
export type DatasetSplit = Static<typeof DatasetSplit>;
/**
 * Where an item's label came from: a confirmation with a painted mask or without one, a flagged frame rejected as a
 * false alarm, or an unflagged frame sampled as normal. The last two are both kind 'normal'; a trainer counts them
 * apart (rejected false alarms are the normals the live model got wrong).
 */
export const DatasetOrigin = Type.Union([
  Type.Literal('confirmed-mask'),
  Type.Literal('confirmed-image'),
  Type.Literal('rejected'),
  Type.Literal('sampled-normal'),
]);
export type DatasetOrigin = Static<typeof DatasetOrigin>;

export const DatasetItem = Type.Object({
  /** The review event's id. */
  id: Id,
  /** JPEG frame. */
  imageUrl: Type.String(),
  /** PNG mask, frame-sized, > 127 = anomalous; only for kind 'px'. */
  maskUrl: Type.Union([Type.String(), Type.Null()]),
  /** 1 = defective (confirmed), 0 = normal (rejected false alarm or sampled normal frame). */
  label: Type.Union([Type.Literal(0), Type.Literal(1)]),
  kind: DatasetKind,
  /** Absent from controllers (and snapshots) older than the field: then a normal item's origin is unknown. */
  origin: Type.Optional(DatasetOrigin),
  split: DatasetSplit,
  line: Slug,
  camera: Type.String(),
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
  /** sha256 of the image (and mask) bytes, so a worker can cache and verify downloads. */
  imageSha256: Type.String(),
  maskSha256: Type.Union([Type.String(), Type.Null()]),
  /**
   * The defect class (name) of a defective item when the snapshot was taken: the confirmation's class, else the
   * class its mask paints most; null when unclassified or normal. Absent from controllers before defect classes.
   */
  defectClass: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type DatasetItem = Static<typeof DatasetItem>;

export const DatasetManifest = Type.Object({
  snapshot: DatasetSnapshotView,
  items: Type.Array(DatasetItem),
});
export type DatasetManifest = Static<typeof DatasetManifest>;

export const DatasetManifestRoute = {
  method: 'GET',
  url: '/api/worker/datasets/:id',
  schema: { tags: ['worker'], params: JobIdParams, response: { 200: DatasetManifest, ...errorResponses } },
} as const;

export const DatasetFileParams = Type.Object(
  { id: Id, item: Id, file: Type.Union([Type.Literal('image'), Type.Literal('mask')]) },
  { additionalProperties: false },
);
export type DatasetFileParams = Static<typeof DatasetFileParams>;

/** The item's JPEG frame or PNG mask, as stored when the snapshot was taken. */
export const DatasetFileRoute = {
  method: 'GET',
  url: '/api/worker/datasets/:id/items/:item/:file',
  schema: {
    tags: ['worker'],
    params: DatasetFileParams,
    produces: ['image/jpeg', 'image/png'],
    response: { ...errorResponses },
  },
} as const;

/** The job's parent package (tar). 404 when the job has no parent or the registry lacks it. */
export const ParentPackageRoute = {
  method: 'GET',
  url: '/api/worker/jobs/:id/parent-package',
  schema: { tags: ['worker'], params: JobIdParams, produces: ['application/x-tar'], response: { ...errorResponses } },
} as const;

export const LeaseQuery = Type.Object({ lease: LeaseId }, { additionalProperties: false });
export type LeaseQuery = Static<typeof LeaseQuery>;

export const UploadedPackage = Type.Object({ sha256: Type.String(), bytes: Type.Integer({ minimum: 0 }) });
export type UploadedPackage = Static<typeof UploadedPackage>;

/** Body: the raw package tar (application/x-tar), at most maxPackageBytes (413 LW_CTRL_PAYLOAD_TOO_LARGE). */
export const UploadPackageRoute = {
  method: 'PUT',
  url: '/api/worker/jobs/:id/package',
  schema: {
    tags: ['worker'],
    params: JobIdParams,
    querystring: LeaseQuery,
    consumes: ['application/x-tar'],
    response: { 200: UploadedPackage, ...errorResponses },
  },
} as const;

export const CompleteBody = Type.Object(
  {
    leaseId: LeaseId,
    /** sha256 returned by the package upload. */
    packageSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    metrics: JobMetrics,
    /** Calibrated on the held-out set by the worker. */
    threshold: Type.Number(),
  },
  { additionalProperties: false },
);
export type CompleteBody = Static<typeof CompleteBody>;

/**
 * Registers the package (verified by the registry) as `targetVersion` and marks the job succeeded. Repeating it
 * with the same lease returns the same job. Registry refusals (bad signature, version conflict) are passed on with
 * their own codes and leave the job open for a retry or a fail.
 */
export const CompleteJobRoute = {
  method: 'POST',
  url: '/api/worker/jobs/:id/complete',
  schema: { tags: ['worker'], params: JobIdParams, body: CompleteBody, response: { 200: JobView, ...errorResponses } },
} as const;

export const FailBody = Type.Object(
  {
    leaseId: LeaseId,
    code: Type.String({ minLength: 1, maxLength: 64 }),
    message: Type.String({ maxLength: 2000 }),
  },
  { additionalProperties: false },
);
export type FailBody = Static<typeof FailBody>;

/** Marks the job failed (terminal). Repeating it with the same lease returns the same job. */
export const FailJobRoute = {
  method: 'POST',
  url: '/api/worker/jobs/:id/fail',
  schema: { tags: ['worker'], params: JobIdParams, body: FailBody, response: { 200: JobView, ...errorResponses } },
} as const;
