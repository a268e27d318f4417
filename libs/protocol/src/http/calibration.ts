/**
 * Per-camera calibration (issue #20): agents' score sketches → a proposed threshold for a target false-alarm rate →
 * an approved revision published as the camera's retained `cfg/threshold/{camera}` → history and one-click restore.
 * Reading needs a user who sees the device's line; approving and restoring need an admin (the line engineer).
 */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, errorResponses } from './common.js';

const TopicId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
const Rate = Type.Number({ minimum: 0, maximum: 1 });
const Threshold = Type.Number({ exclusiveMinimum: 0, maximum: 1e9 });

export const CameraParams = Type.Object({ deviceId: TopicId, camera: TopicId }, { additionalProperties: false });
export type CameraParams = Static<typeof CameraParams>;

export const ThresholdRevisionView = Type.Object({
  revision: Type.Integer({ minimum: 1 }),
  threshold: Type.Number(),
  modelVersion: Type.String(),
  targetFar: Type.Union([Type.Number(), Type.Null()]),
  expectedFlagRate: Type.Union([Type.Number(), Type.Null()]),
  currentFlagRate: Type.Union([Type.Number(), Type.Null()]),
  basisFrames: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.String(),
  author: Type.String(),
  /** The revision whose values this one restored (one-click return), or null. */
  restoredFrom: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: IsoDate,
});
export type ThresholdRevisionView = Static<typeof ThresholdRevisionView>;

export const CalibrationCamera = Type.Object({
  deviceId: Type.String(),
  line: Type.String(),
  camera: Type.String(),
  /** Model version of the camera's newest sketch window (what it runs now). */
  modelVersion: Type.String(),
  revision: Type.Union([ThresholdRevisionView, Type.Null()]),
  /** No revision yet, or the newest one was calibrated for another model version (the agent then ignores it). */
  needsCalibration: Type.Boolean(),
});
export type CalibrationCamera = Static<typeof CalibrationCamera>;

export const ListCalibrationCamerasRoute = {
  method: 'GET',
  url: '/api/calibration/cameras',
  schema: {
    tags: ['calibration'],
    description: 'Cameras that reported score sketches in the last 30 days, with their threshold revision',
    response: { 200: Type.Object({ cameras: Type.Array(CalibrationCamera) }), ...errorResponses },
  },
} as const;

export const ProposalQuery = Type.Object(
  {
    /** Target false-alarm rate: the share of normal frames allowed above the threshold. */
    targetFar: Type.Number({ minimum: 0.0001, maximum: 0.5, default: 0.005 }),
    /** How far back the windows go. */
    hours: Type.Number({ minimum: 0.01, maximum: 720, default: 24 }),
  },
  { additionalProperties: false },
);
export type ProposalQuery = Static<typeof ProposalQuery>;

export const CalibrationProposal = Type.Object({
  deviceId: Type.String(),
  camera: Type.String(),
  modelVersion: Type.String(),
  from: IsoDate,
  to: IsoDate,
  windows: Type.Integer(),
  /** Every frame scored by `modelVersion` in the range. */
  frames: Type.Integer(),
  /** Frames QA confirmed as defects, taken out of the normal population. */
  confirmedExcluded: Type.Integer(),
  normalFrames: Type.Integer(),
  targetFar: Type.Number(),
  /** Lowest sketch bucket bound with at most targetFar of the normal frames above it. */
  proposedThreshold: Type.Number(),
  /** Share of all frames in the range above the proposed threshold: the flag rate to expect. */
  expectedFlagRate: Rate,
  /** Share of the normal frames above it (≤ targetFar). */
  expectedFar: Rate,
  /** The threshold the newest window was judged by, and the flag rate of the windows judged by it. */
  currentThreshold: Type.Number(),
  currentFlagRate: Rate,
  currentFar: Rate,
  /** Sketch quantile error: values are within ± this relative error of the exact ones. */
  relativeError: Type.Number(),
});
export type CalibrationProposal = Static<typeof CalibrationProposal>;

export const GetProposalRoute = {
  method: 'GET',
  url: '/api/calibration/:deviceId/:camera/proposal',
  schema: {
    tags: ['calibration'],
    description:
      "Proposed threshold for a target false-alarm rate from the camera's recent sketches (live model version only); " +
      '422 LW_CTRL_CALIBRATION_NOT_ENOUGH_FRAMES when the normal frames are too few to place it',
    params: CameraParams,
    querystring: ProposalQuery,
    response: { 200: CalibrationProposal, ...errorResponses },
  },
} as const;

export const ListThresholdRevisionsRoute = {
  method: 'GET',
  url: '/api/calibration/:deviceId/:camera/thresholds',
  schema: {
    tags: ['calibration'],
    description: "The camera's threshold revisions, newest (in force) first",
    params: CameraParams,
    response: { 200: Type.Object({ revisions: Type.Array(ThresholdRevisionView) }), ...errorResponses },
  },
} as const;

export const ApproveThresholdBody = Type.Object(
  {
    threshold: Threshold,
    /** The model version the proposal was computed for; 409 when the camera runs another one now. */
    modelVersion: Type.String({ minLength: 1, maxLength: 64 }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    targetFar: Type.Optional(Rate),
    expectedFlagRate: Type.Optional(Rate),
    currentFlagRate: Type.Optional(Rate),
    basisFrames: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type ApproveThresholdBody = Static<typeof ApproveThresholdBody>;

export const ApproveThresholdRoute = {
  method: 'POST',
  url: '/api/calibration/:deviceId/:camera/thresholds',
  schema: {
    tags: ['calibration'],
    description: 'Approve a threshold: stored as the next revision and published (retained) to the camera',
    params: CameraParams,
    body: ApproveThresholdBody,
    response: { 201: ThresholdRevisionView, ...errorResponses, 503: errorResponses[500] },
  },
} as const;

export const RestoreThresholdParams = Type.Object(
  { deviceId: TopicId, camera: TopicId, revision: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);

export const RestoreThresholdRoute = {
  method: 'POST',
  url: '/api/calibration/:deviceId/:camera/thresholds/:revision/restore',
  schema: {
    tags: ['calibration'],
    description: "Return to an earlier revision: a new revision with that one's threshold and model version",
    params: RestoreThresholdParams,
    body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
    response: { 201: ThresholdRevisionView, ...errorResponses, 503: errorResponses[500] },
  },
} as const;
