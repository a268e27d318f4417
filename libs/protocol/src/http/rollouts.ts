/**
 * Staged, quality-gated rollouts: canary then waves, each waiting for health gates; a gate failure rolls every
 * updated device back. Every decision (engine or admin) is logged with its reason. Policies are stored per line
 * (or '*' for the fleet) as partial overrides of the documented defaults (apps/controller/README.md).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, IsoDate, errorResponses } from './common.js';
import { RegistryVersion } from './models.js';

export const RolloutState = Type.Union([
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('completed'),
  Type.Literal('aborted'),
  Type.Literal('rolling-back'),
  Type.Literal('rolled-back'),
]);
export type RolloutState = Static<typeof RolloutState>;

export const TargetState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('sent'),
  Type.Literal('live'),
  Type.Literal('failed'),
  Type.Literal('rolling-back'),
  Type.Literal('rolled-back'),
]);
export type TargetState = Static<typeof TargetState>;

const Num = (min: number, max: number) => Type.Number({ minimum: min, maximum: max });
const Count = (d: string) =>
  Type.Union([Type.Integer({ minimum: 1, maximum: 100_000 }), Type.Null()], { description: d });

/** The full policy (defaults merged with the stored line/fleet overrides and per-rollout overrides). */
export const RolloutPolicyBody = Type.Object(
  {
    requireEligible: Type.Boolean(),
    shadow: Type.Union([
      Type.Object({
        durationS: Type.Integer({ minimum: 1, maximum: 604_800 }),
        minFrames: Type.Integer({ minimum: 0 }),
      }),
      Type.Null(),
    ]),
    canaryDevices: Count('canary size in devices (wins over canaryPercent)'),
    canaryPercent: Num(0, 100),
    waveDevices: Count('wave size in devices (wins over wavePercent)'),
    wavePercent: Num(1, 100),
    minWaveIntervalS: Num(0, 86_400),
    observeS: Num(0, 86_400),
    minFrames: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    installTimeoutS: Num(1, 86_400),
    urlRefreshS: Num(10, 86_400),
    flagBandRel: Num(0, 100),
    flagBandAbs: Num(0, 1),
    flagZ: Num(0, 10),
    flagNoBaselineMax: Num(0, 1),
    baselineWindowS: Num(1, 30 * 86_400),
    minBaselineFrames: Type.Integer({ minimum: 0 }),
    minFpsRatio: Num(0, 1),
    maxLatencyRatio: Num(1, 100),
    latencySlackMs: Num(0, 60_000),
    requireHealth: Type.Boolean(),
    healthGraceS: Type.Number({
      minimum: 0,
      maximum: 3600,
      description:
        'judge health only this long after a device went live (≥ 2 agent health intervals: a window spanning the swap carries its load spike)',
    }),
    healthSustainS: Type.Number({
      minimum: 0,
      maximum: 86_400,
      description: 'a health bound must stay violated this long to fail (one slow window is not a regression)',
    }),
    minReviews: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    maxRejectRateIncrease: Num(0, 1),
    // Optional: rollouts created before these fields existed keep their frozen policy (and its behaviour).
    flagDropMax: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          "lower side of the flag-rate band: the candidate may flag at most this fraction less than the parent (0.8: down to a fifth of the parent's rate, minus the binomial noise); 1 = no lower bound",
      }),
    ),
    holdUntilMinReviews: Type.Optional(
      Type.Boolean({
        description:
          'hold the next wave until the QA gate has minReviews reviews on candidate and parent (false: a wave passes the QA gate without them)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RolloutPolicyBody = Static<typeof RolloutPolicyBody>;

export const RolloutTargetBody = Type.Object({
  deviceId: Type.String(),
  wave: Type.Integer(),
  state: TargetState,
  fromVersion: Type.Union([Type.String(), Type.Null()]),
  issuedAt: Type.Union([IsoDate, Type.Null()]),
  liveAt: Type.Union([IsoDate, Type.Null()]),
  rolledBackAt: Type.Union([IsoDate, Type.Null()]),
  frames: Type.Integer(),
  report: Type.Unknown(),
});

export const RolloutDecisionBody = Type.Object({
  id: Type.Integer(),
  at: IsoDate,
  actor: Type.String(),
  action: Type.String(),
  reason: Type.String(),
  details: Type.Unknown(),
});
export type RolloutDecisionBody = Static<typeof RolloutDecisionBody>;

export const RolloutBody = Type.Object({
  id: Id,
  version: RegistryVersion,
  parentVersion: Type.Union([Type.String(), Type.Null()]),
  line: Type.Union([Type.String(), Type.Null()]),
  state: RolloutState,
  phase: Type.String(),
  wave: Type.Integer(),
  waves: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  endedAt: Type.Union([IsoDate, Type.Null()]),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'targets per state' }),
});
export type RolloutBody = Static<typeof RolloutBody>;

/** Where the QA reject-rate gate stands: reviews so far on candidate (its devices) and parent, and how many are missing. */
export const QaGateBody = Type.Object({
  minReviews: Type.Integer(),
  candidateReviews: Type.Integer({ minimum: 0 }),
  parentReviews: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** reviews still needed (candidate + parent) before the gate judges */
  missing: Type.Integer({ minimum: 0 }),
  /** the policy holds waves until then (else the gate passes without them) */
  holds: Type.Boolean(),
});
export type QaGateBody = Static<typeof QaGateBody>;

export const RolloutDetailBody = Type.Object({
  rollout: RolloutBody,
  policy: RolloutPolicyBody,
  qaGate: Type.Optional(QaGateBody),
  baseline: Type.Unknown(),
  targets: Type.Array(RolloutTargetBody),
  decisions: Type.Array(RolloutDecisionBody),
});
export type RolloutDetailBody = Static<typeof RolloutDetailBody>;

export const RolloutIdParams = Type.Object({ id: Id }, { additionalProperties: false });

export const ListRolloutsRoute = {
  method: 'GET',
  url: '/api/rollouts',
  schema: {
    tags: ['rollouts'],
    querystring: Type.Object(
      { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) },
      { additionalProperties: false },
    ),
    response: { 200: Type.Object({ rollouts: Type.Array(RolloutBody) }), ...errorResponses },
  },
} as const;

export const GetRolloutRoute = {
  method: 'GET',
  url: '/api/rollouts/:id',
  schema: { tags: ['rollouts'], params: RolloutIdParams, response: { 200: RolloutDetailBody, ...errorResponses } },
} as const;

export const StartRolloutBody = Type.Object(
  {
    version: RegistryVersion,
    line: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    policy: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type StartRolloutBody = Static<typeof StartRolloutBody>;

export const StartRolloutRoute = {
  method: 'POST',
  url: '/api/rollouts',
  schema: { tags: ['rollouts'], body: StartRolloutBody, response: { 201: RolloutDetailBody, ...errorResponses } },
} as const;

export const RolloutAction = Type.Union([
  Type.Literal('pause'),
  Type.Literal('resume'),
  Type.Literal('abort'),
  Type.Literal('rollback'),
]);
export type RolloutAction = Static<typeof RolloutAction>;

export const RolloutActionRoute = {
  method: 'POST',
  url: '/api/rollouts/:id/:action',
  schema: {
    tags: ['rollouts'],
    params: Type.Object({ id: Id, action: RolloutAction }, { additionalProperties: false }),
    body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
    response: { 200: RolloutDetailBody, ...errorResponses },
  },
} as const;

export const PolicyScopeParams = Type.Object(
  { scope: Type.String({ pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$' }) },
  { additionalProperties: false },
);

export const GetRolloutPolicyRoute = {
  method: 'GET',
  url: '/api/rollout-policies/:scope',
  schema: {
    tags: ['rollouts'],
    params: PolicyScopeParams,
    response: {
      200: Type.Object({
        scope: Type.String(),
        overrides: Type.Record(Type.String(), Type.Unknown()),
        effective: RolloutPolicyBody,
      }),
      ...errorResponses,
    },
  },
} as const;

export const PutRolloutPolicyRoute = {
  method: 'PUT',
  url: '/api/rollout-policies/:scope',
  schema: {
    tags: ['rollouts'],
    params: PolicyScopeParams,
    body: Type.Record(Type.String(), Type.Unknown()),
    response: {
      200: Type.Object({
        scope: Type.String(),
        overrides: Type.Record(Type.String(), Type.Unknown()),
        effective: RolloutPolicyBody,
      }),
      ...errorResponses,
    },
  },
} as const;
