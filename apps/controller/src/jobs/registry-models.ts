/**
 * JobModels on REG's Registry. The line's live version is what its devices run: the most common model version the
 * line's devices last reported (fleet status), when that version is in the registry — during a staged rollout the
 * majority still runs the parent, after a rollback too. Without device reports (or with an unregistered version)
 * it falls back to the newest version marked deployed for the line, then the newest deployed fleet-wide version.
 */
import type { Ctx } from '../context.js';
import type { Registry } from '../registry/registry.js';
import type { CandidateVersion, JobModels } from './models.js';

export function registryModels(ctx: Ctx, registry: Registry): JobModels {
  return {
    async liveVersion(line) {
      const tally = new Map<string, number>();
      for (const f of await ctx.store.fleet.list([line])) {
        if (f.line === line && f.modelVersion) tally.set(f.modelVersion, (tally.get(f.modelVersion) ?? 0) + 1);
      }
      const ranked = [...tally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      for (const [version] of ranked) if (await registry.get(version)) return version;
      const onLine = await registry.list({ line, status: 'deployed', limit: 1 });
      if (onLine[0]) return onLine[0].version;
      const fleetWide = (await registry.list({ status: 'deployed', limit: 50 })).find((m) => m.line === null);
      return fleetWide?.version ?? null;
    },
    async hasVersion(version) {
      return (await registry.get(version)) !== null;
    },
    async packageTar(version) {
      if (!(await registry.get(version))) return null;
      return (await registry.packageBytes(version)).bytes;
    },
    async addVersion(v: CandidateVersion) {
      const row = await registry.addVersion(v);
      return { version: row.version };
    },
  };
}
