/**
 * Which versions the devices actually run. A line's first model is installed with the agents (not rolled out), so it
 * would sit in the registry as a parentless "candidate" with an Approve button while every device runs it — and
 * approving it later starts a "rollout" that downgrades the line. A parentless candidate that every device of its
 * scope (its line, or the whole fleet for a fleet-wide model) reports running is marked deployed instead.
 */
import type { Ctx } from '../context.js';
import type { ModelVersionRow, Registry } from './registry.js';

export interface DeviceCounts {
  /** devices of the scope that report running the version */
  running: number;
  /** devices of the scope that report running any model */
  total: number;
}

/** Per version: how many devices of its scope run it, of those reporting a model. */
export async function deviceCounts(ctx: Ctx, rows: ModelVersionRow[]): Promise<Map<string, DeviceCounts>> {
  const out = new Map<string, DeviceCounts>();
  if (rows.length === 0) return out;
  const fleet = (await ctx.store.fleet.list()).filter((f) => f.modelVersion !== null);
  for (const row of rows) {
    const scope = fleet.filter((f) => row.line === null || f.line === row.line);
    out.set(row.version, { running: scope.filter((f) => f.modelVersion === row.version).length, total: scope.length });
  }
  return out;
}

/**
 * Devices of a rollout scope (a line, or null for the fleet) reporting a model, and how many of them run `version`.
 * Approving a version that all of them already run would only start a rollout with nothing to do (or, for an old
 * version, re-plan a downgrade): the approve route refuses it.
 */
export async function scopeCounts(ctx: Ctx, version: string, line: string | null): Promise<DeviceCounts> {
  const scope = (await ctx.store.fleet.list()).filter(
    (f) => f.modelVersion !== null && (line === null || f.line === line),
  );
  return { running: scope.filter((f) => f.modelVersion === version).length, total: scope.length };
}

export const installedEverywhere = (row: ModelVersionRow, c: DeviceCounts | undefined): boolean =>
  row.parentVersion === null && c !== undefined && c.total > 0 && c.running === c.total;

/** Marks parentless candidates that every device of their scope runs as deployed; returns the rows as now stored. */
export async function adoptInstalled(
  registry: Registry,
  rows: ModelVersionRow[],
  counts: Map<string, DeviceCounts>,
): Promise<ModelVersionRow[]> {
  const out: ModelVersionRow[] = [];
  for (const row of rows) {
    if (row.status === 'candidate' && row.approvedAt === null && installedEverywhere(row, counts.get(row.version))) {
      await registry.setStatus(row.version, 'deployed');
      out.push({ ...row, status: 'deployed' });
    } else out.push(row);
  }
  return out;
}
