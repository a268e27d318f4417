/**
 * Liveness and readiness. `/healthz` answers while the process serves HTTP (no dependency is touched: a database
 * outage must not make an orchestrator restart every replica). `/readyz` checks what requests need — the database
 * (one `SELECT 1`), the MQTT broker link (when MQTT is on) and the blob store — in parallel, each bounded by a short
 * timeout so a hung dependency answers 503 rather than hanging the probe. A 503 names the failing parts with a stable
 * code per part; the error text goes to the log (once per change of the failing set, not once per probe), never to
 * the unauthenticated caller.
 */
import { HealthzRoute, ReadyzRoute, type ReadinessCheck, type ReadinessPart } from '@linewatch/protocol/http';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';
import { ERRORS, ctrlError, type ErrorCode } from '../errors.js';
import type { TypedApp } from './typed-app.js';

/** Per check: well above a healthy round trip on a loaded host, well below a probe's usual 5-10 s timeout. */
export const READY_CHECK_TIMEOUT_MS = 2000;

interface Probe {
  part: ReadinessPart;
  /** Reported when the probe fails (the catalogue code of that dependency's outage). */
  code: ErrorCode;
  run(): Promise<void>;
}

export interface ReadinessOptions {
  /** The MQTT clients whose link must be up (ingest's, the rollout engine's); checked only when MQTT is enabled. */
  buses: () => ReadonlyArray<Bus | null>;
  timeoutMs?: number;
}

class ProbeTimeout extends Error {}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Resolves or rejects with `run`, or rejects with ProbeTimeout after `ms`; the timer never outlives the answer. */
async function withTimeout(run: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(run), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function runProbe(p: Probe, timeoutMs: number): Promise<{ check: ReadinessCheck; err?: unknown }> {
  const t0 = performance.now();
  const ms = (): number => Math.round((performance.now() - t0) * 10) / 10;
  try {
    await withTimeout(p.run, timeoutMs);
    return { check: { ok: true, ms: ms() } };
  } catch (err) {
    const reason = err instanceof ProbeTimeout ? 'timeout' : 'error';
    return { check: { ok: false, ms: ms(), code: p.code, reason }, err };
  }
}

function probes(ctx: Ctx, opts: ReadinessOptions): Probe[] {
  const list: Probe[] = [
    { part: 'db', code: 'LW_CTRL_DB_UNAVAILABLE', run: () => ctx.store.ping() },
    { part: 'files', code: 'LW_CTRL_BLOB_STORE_UNAVAILABLE', run: () => ctx.files.probe() },
  ];
  if (ctx.config.mqtt.enabled) {
    list.push({
      part: 'broker',
      code: 'LW_CTRL_BROKER_UNAVAILABLE',
      run: async () => {
        const down = opts.buses().filter((b) => !b?.connected).length;
        if (down > 0) throw ctrlError('LW_CTRL_BROKER_UNAVAILABLE', `${down} MQTT link(s) down`);
      },
    });
  }
  return list;
}

export function registerReadiness(app: TypedApp, ctx: Ctx, opts: ReadinessOptions): void {
  const timeoutMs = opts.timeoutMs ?? READY_CHECK_TIMEOUT_MS;
  let lastFailing = '';
  app.route({ ...HealthzRoute, handler: async () => ({ ok: true as const }) });
  app.route({
    ...ReadyzRoute,
    handler: async (req, reply) => {
      const list = probes(ctx, opts);
      const results = await Promise.all(list.map((p) => runProbe(p, timeoutMs)));
      const checks = {
        db: results[0]!.check,
        files: results[1]!.check,
        ...(results[2] && { broker: results[2].check }),
      };
      const failing = list.filter((_, i) => !results[i]!.check.ok).map((p) => p.part);
      const key = failing.join(',');
      if (key !== lastFailing) {
        lastFailing = key;
        if (failing.length === 0) req.log.info({ checks }, 'ready again');
        else {
          const errors = Object.fromEntries(
            list.flatMap((p, i) => (results[i]!.err ? [[p.part, messageOf(results[i]!.err)]] : [])),
          );
          req.log.warn({ code: 'LW_CTRL_NOT_READY', failing, checks, errors }, `not ready: ${key}`);
        }
      }
      if (failing.length === 0) return { ready: true as const, checks };
      return reply.status(ERRORS.LW_CTRL_NOT_READY.status).send({
        code: 'LW_CTRL_NOT_READY',
        message: `not ready: ${failing.join(', ')}`,
        ready: false as const,
        failing,
        checks,
      });
    },
  });
}
