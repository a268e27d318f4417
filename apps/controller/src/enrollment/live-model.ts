/**
 * The model a line's devices should run when no rollout is moving them: the newest version deployed on the line (a
 * completed rollout marks its version deployed), else the newest deployed fleet-wide version; with neither (a line
 * set up by uploading a model and handing it to devices), the version most of the line's devices report, when it is
 * registered. Enrollment hands it to a new device; convergence moves a joining device onto it.
 */
import type { EnrolledModel } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import type { DownloadTokens } from '../registry/download-token.js';
import type { Registry } from '../registry/registry.js';
import type { ModelVersionRow } from '../store/registry-store.js';

export async function lineLiveModel(
  ctx: Ctx,
  registry: Registry,
  line: string,
  exceptDevice?: string,
): Promise<ModelVersionRow | null> {
  const onLine = await registry.list({ line, status: 'deployed', limit: 1 });
  if (onLine[0]) return onLine[0];
  const fleetWide = (await registry.list({ status: 'deployed', limit: 50 })).find((m) => m.line === null);
  if (fleetWide) return fleetWide;
  const tally = new Map<string, number>();
  for (const f of await ctx.store.fleet.list([line])) {
    if (f.deviceId !== exceptDevice && f.modelVersion) tally.set(f.modelVersion, (tally.get(f.modelVersion) ?? 0) + 1);
  }
  const ranked = [...tally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [version] of ranked) {
    const row = await registry.get(version);
    if (row && (row.line === null || row.line === line)) return row;
  }
  return null;
}

/** The model with a fresh download link for `device` (the same link a desiredModel message carries). */
export async function enrolledModel(
  m: ModelVersionRow,
  tokens: DownloadTokens,
  baseUrl: string,
  device: string,
): Promise<EnrolledModel> {
  return {
    version: m.version,
    packageUrl: await tokens.packageUrl(baseUrl, m.version, m.sha256, device),
    sha256: m.sha256,
    signatureScheme: 'ed25519',
    signature: m.signature,
  };
}
