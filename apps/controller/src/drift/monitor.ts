/**
 * Drift alerts (issue #20), evaluated from the stored sketch windows whenever someone asks (the Fleet page, the
 * alerts API, a /metrics scrape), so every replica answers from the database alone:
 *
 * - score drift: the camera's live windows (its newest LIVE_WINDOWS: ten minutes at the agent's default 60 s window)
 *   against the windows its newest threshold revision
 *   was calibrated on (the 24 h before the revision, same model version): PSI ≥ 0.25 or a median shift of ≥ 25 %
 *   raises it; the suggestion is to recalibrate, or to retrain when PSI ≥ 1 or the median moved by 100 % or more;
 * - camera faults: at least half the live frames frozen, black or over-exposed (agent frame statistics) raises a
 *   `frozen` / `black` / `saturated` alert whose suggestion is to check the camera.
 *
 * "Started" is the start of the unbroken run of windows, ending with the newest, that meet the same condition on their
 * own (judged in chunks of at least 50 frames). A newly raised alert is logged once (per replica) with its figures.
 */
import { sketchOf } from '@linewatch/protocol';
import type { Ctx } from '../context.js';
import type { SketchWindowRow, ThresholdRevisionRow } from '../store/calibration-store.js';
import { compareSketches } from './compare.js';

export type DriftKind = 'score-drift' | 'frozen' | 'black' | 'saturated';
export type Suggestion = 'recalibrate' | 'retrain' | 'check the camera';

export interface DriftAlert {
  deviceId: string;
  line: string;
  camera: string;
  kind: DriftKind;
  modelVersion: string;
  startedAt: Date;
  /** PSI for score drift; the share of affected frames (0–1) for camera faults. */
  magnitude: number;
  medianShift: number | null;
  suggestion: Suggestion;
}

export interface CameraDrift {
  deviceId: string;
  line: string;
  camera: string;
  psi: number | null;
}

/** How many of a camera's newest windows make up its live distribution. */
export const LIVE_WINDOWS = 10;
export const PSI_ALERT = 0.25;
export const SHIFT_ALERT = 0.25;
const PSI_RETRAIN = 1;
const SHIFT_RETRAIN = 1;
const FAULT_SHARE = 0.5;
const MIN_FRAMES = 50;
const BASELINE_MS = 24 * 3_600_000;
const FAULTS = [
  ['frozen', 'frozen'],
  ['black', 'dark'],
  ['saturated', 'saturated'],
] as const;

export class DriftMonitor {
  private readonly raised = new Set<string>();

  constructor(private readonly ctx: Ctx) {}

  /** Every camera that reported in the last `activeMinutes`: its PSI (when calibrated) and its active alerts. */
  async evaluate(activeMinutes = 10): Promise<{ cameras: CameraDrift[]; alerts: DriftAlert[] }> {
    const since = new Date(this.ctx.clock.now().getTime() - activeMinutes * 60_000);
    const cams = await this.ctx.store.calibration.cameras(since);
    const cameras: CameraDrift[] = [];
    const alerts: DriftAlert[] = [];
    for (const c of cams) {
      const recent = await this.ctx.store.calibration.windows({ deviceId: c.deviceId, camera: c.camera, since });
      const live = recent.filter((w) => w.modelVersion === c.modelVersion).slice(-LIVE_WINDOWS);
      alerts.push(...faultAlerts(c, live));
      const rev = await this.ctx.store.calibration.latestRevision(c.deviceId, c.camera);
      const drift = rev && rev.modelVersion === c.modelVersion ? await this.scoreDrift(c, live, rev) : null;
      cameras.push({ ...c, psi: drift?.psi ?? null });
      if (drift?.alert) alerts.push(drift.alert);
    }
    this.logRaised(alerts);
    return { cameras, alerts };
  }

  private async scoreDrift(
    c: { deviceId: string; line: string; camera: string; modelVersion: string },
    live: SketchWindowRow[],
    rev: ThresholdRevisionRow,
  ): Promise<{ psi: number; alert: DriftAlert | null } | null> {
    const basis = await this.ctx.store.calibration.windows({
      deviceId: c.deviceId,
      camera: c.camera,
      modelVersion: rev.modelVersion,
      since: new Date(rev.createdAt.getTime() - BASELINE_MS),
    });
    const base = sketchOf(...basis.filter((w) => w.start < rev.createdAt).map((w) => w.sketch));
    const now = sketchOf(...live.map((w) => w.sketch));
    if (base.total < MIN_FRAMES || now.total < MIN_FRAMES) return null;
    const f = compareSketches(base, now);
    const drifting = (psi: number, shift: number) => psi >= PSI_ALERT || Math.abs(shift) >= SHIFT_ALERT;
    if (!drifting(f.psi, f.medianShift)) return { psi: f.psi, alert: null };
    const start = runStart(live, (chunk) => {
      const one = compareSketches(base, sketchOf(...chunk.map((w) => w.sketch)));
      return drifting(one.psi, one.medianShift);
    });
    const severe = f.psi >= PSI_RETRAIN || Math.abs(f.medianShift) >= SHIFT_RETRAIN;
    return {
      psi: f.psi,
      alert: {
        ...c,
        kind: 'score-drift',
        startedAt: start,
        magnitude: f.psi,
        medianShift: f.medianShift,
        suggestion: severe ? 'retrain' : 'recalibrate',
      },
    };
  }

  private logRaised(alerts: DriftAlert[]): void {
    const now = new Set(alerts.map((a) => `${a.deviceId}/${a.camera}/${a.kind}`));
    for (const a of alerts) {
      const key = `${a.deviceId}/${a.camera}/${a.kind}`;
      if (this.raised.has(key)) continue;
      this.ctx.log.warn(
        { event: 'drift-alert', ...a, startedAt: a.startedAt.toISOString() },
        `camera ${a.deviceId}/${a.camera}: ${a.kind} since ${a.startedAt.toISOString()} (${a.suggestion})`,
      );
    }
    for (const key of this.raised)
      if (!now.has(key)) this.ctx.log.info({ event: 'drift-cleared', key }, 'drift alert cleared');
    this.raised.clear();
    for (const k of now) this.raised.add(k);
  }
}

/**
 * Start of the unbroken run, ending with the newest window, of chunks for which `hit` holds: windows are taken newest
 * first into chunks of at least MIN_FRAMES frames (one short window is too noisy to judge), so the start is exact to
 * within one chunk. The newest chunk must hold (the caller saw the whole live range hold).
 */
function runStart(windows: readonly SketchWindowRow[], hit: (chunk: readonly SketchWindowRow[]) => boolean): Date {
  let start = windows[windows.length - 1]!.start;
  let chunk: SketchWindowRow[] = [];
  let frames = 0;
  for (let i = windows.length - 1; i >= 0; i--) {
    chunk.push(windows[i]!);
    frames += windows[i]!.frames;
    if (frames < MIN_FRAMES && i > 0) continue;
    if (!hit(chunk)) break;
    start = windows[i]!.start;
    chunk = [];
    frames = 0;
  }
  return start;
}

function faultAlerts(
  c: { deviceId: string; line: string; camera: string; modelVersion: string },
  live: SketchWindowRow[],
): DriftAlert[] {
  const withStats = live.filter((w) => w.frameStats !== null);
  const frames = withStats.reduce((n, w) => n + w.frames, 0);
  if (frames < MIN_FRAMES) return [];
  const out: DriftAlert[] = [];
  for (const [kind, field] of FAULTS) {
    const share = withStats.reduce((n, w) => n + w.frameStats![field], 0) / frames;
    if (share < FAULT_SHARE) continue;
    const start = runStart(withStats, (chunk) => {
      const n = chunk.reduce((k, w) => k + w.frames, 0);
      return chunk.reduce((k, w) => k + w.frameStats![field], 0) / n >= FAULT_SHARE;
    });
    out.push({ ...c, kind, startedAt: start, magnitude: share, medianShift: null, suggestion: 'check the camera' });
  }
  return out;
}
