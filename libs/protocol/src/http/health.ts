/**
 * Liveness and readiness probes. Both are unauthenticated and outside /api (what load balancers and Kubernetes call):
 * `/healthz` answers while the process serves HTTP at all (restart it when this fails); `/readyz` also checks what
 * requests need (database, MQTT broker link, blob store) and answers 503 naming the failing parts (stop routing
 * traffic to it; do not restart it for that).
 */
import { Type, type Static } from '@sinclair/typebox';

export const HealthBody = Type.Object({ ok: Type.Literal(true) });
export type HealthBody = Static<typeof HealthBody>;

export const HealthzRoute = {
  method: 'GET',
  url: '/healthz',
  schema: { tags: ['health'], response: { 200: HealthBody } },
} as const;

/** The parts /readyz checks. `broker` only when MQTT is enabled. */
export const ReadinessPart = Type.Union([Type.Literal('db'), Type.Literal('broker'), Type.Literal('files')]);
export type ReadinessPart = Static<typeof ReadinessPart>;

/**
 * One dependency's result. A failure carries a stable code and `timeout` or `error`; the underlying error text is
 * logged, not returned (the probe is unauthenticated and must not describe internals).
 */
export const ReadinessCheck = Type.Object({
  ok: Type.Boolean(),
  ms: Type.Number({ minimum: 0 }),
  code: Type.Optional(Type.String()),
  reason: Type.Optional(Type.Union([Type.Literal('timeout'), Type.Literal('error')])),
});
export type ReadinessCheck = Static<typeof ReadinessCheck>;

export const ReadinessChecks = Type.Object({
  db: ReadinessCheck,
  files: ReadinessCheck,
  broker: Type.Optional(ReadinessCheck),
});
export type ReadinessChecks = Static<typeof ReadinessChecks>;

export const ReadyBody = Type.Object({ ready: Type.Literal(true), checks: ReadinessChecks });
export type ReadyBody = Static<typeof ReadyBody>;

/** An ErrorBody (code LW_CTRL_NOT_READY) that also names the failing parts and carries every check. */
export const NotReadyBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  ready: Type.Literal(false),
  failing: Type.Array(ReadinessPart, { minItems: 1 }),
  checks: ReadinessChecks,
});
export type NotReadyBody = Static<typeof NotReadyBody>;

export const ReadyzRoute = {
  method: 'GET',
  url: '/readyz',
  schema: { tags: ['health'], response: { 200: ReadyBody, 503: NotReadyBody } },
} as const;
