/**
 * The fine-tuned package as the registry gets it: version and build derived from the job (a re-run of the same job
 * yields the same version, so completing it twice is idempotent at the registry), the threshold calibrated by the
 * worker, the held-out metrics of candidate and parent in the manifest, signed again and packed as one tarball.
 */
import { createHash, createPublicKey } from 'node:crypto';
import {
  MANIFEST_FILE,
  SIGNATURE_FILE,
  buildPackage,
  loadPrivateKey,
  packPackage,
  readPackage,
  sha256Hex,
  verifyEntries,
  type ManifestDraft,
} from '@linewatch/model-package';
import type { Manifest } from '@linewatch/protocol';
import type { HeldOutComparison, ThresholdCalibration } from '@linewatch/protocol/http';
import { parseManifestEntry } from '../package-io.js';
import type { ClaimedJob, HeldOutMetrics } from './types.js';

/** Semver pre-release identifiers allow [0-9A-Za-z-] only; long ids are shortened to a digest so the version fits 64. */
function jobTag(id: string): string {
  const clean = id.replace(/[^0-9A-Za-z-]+/g, '-').replace(/^-+|-+$/g, '');
  return clean.length > 0 && clean.length <= 24 ? clean : createHash('sha256').update(id).digest('hex').slice(0, 16);
}

/**
 * The manifest's own version (`<major>.<minor+1>.0-job.<id>`) and build; the registry names the package by the job's
 * targetVersion, which is also what agents report once the controller rolls it out under that name. The build
 * orders packages for the agents (they refuse a lower build unless rolling back), so it must exceed the parent's:
 * the job's creation second when later than the parent's build (the trainer uses the epoch second), else parent + 1.
 */
export function versionFor(
  job: ClaimedJob,
  parent: Pick<Manifest, 'version' | 'build'>,
): { version: string; build: number } {
  const [major, minor] = parent.version.split(/[.-]/).map(Number);
  const version = `${major ?? 1}.${(minor ?? 0) + 1}.0-job.${jobTag(job.id)}`;
  const created = job.createdAt === null ? 0 : Math.floor(job.createdAt / 1000);
  const build = Math.max(parent.build + 1, created);
  return { version, build };
}

/** Manifest metric names allow [A-Za-z0-9_]; nulls (metric undefined on this data) are left out. */
export function manifestMetrics(prefix: string, m: HeldOutMetrics): Record<string, number> {
  const out: Record<string, number> = { [`${prefix}Images`]: m.n };
  if (m.imageAuroc !== null) out[`${prefix}ImageAuroc`] = m.imageAuroc;
  if (m.pixelAuroc !== null) out[`${prefix}PixelAuroc`] = m.pixelAuroc;
  if (m.falseAlarmRate !== null) out[`${prefix}FalseAlarmRate`] = m.falseAlarmRate;
  return out;
}

/** The calibration's evidence in the manifest: how many normal frames, and the false-alarm rate's upper bound. */
export function calibrationMetrics(c: ThresholdCalibration | undefined): Record<string, number> {
  if (!c) return {};
  return {
    calibrationNormals: c.normals,
    calibrationFalseAlarms: c.falseAlarms,
    calibrationFalseAlarmUpper: c.hi,
  };
}

/** The pixel-AUROC interval in the manifest (difference candidate − parent, image-level bootstrap), when measured. */
export function pixelIntervalMetrics(c: HeldOutComparison | undefined): Record<string, number> {
  const p = c?.pixelAuroc;
  if (!p) return {};
  return {
    heldOutPixelAurocDiff: p.diff,
    heldOutPixelAurocDiffLo: p.lo,
    heldOutPixelAurocDiffHi: p.hi,
    pixelBootstrapResamples: p.resamples,
    pixelBootstrapMaskedImages: p.masked,
  };
}

export interface FinalPackage {
  readonly registryVersion: string;
  readonly manifest: Manifest;
  readonly tar: Uint8Array;
  readonly sha256: string;
}

export function finalizePackage(opts: {
  readonly candidateDir: string;
  readonly job: ClaimedJob;
  readonly parent: Manifest;
  readonly threshold: number;
  readonly metrics: {
    readonly candidate: HeldOutMetrics;
    readonly parent: HeldOutMetrics;
    readonly comparison?: HeldOutComparison;
    readonly calibration?: ThresholdCalibration;
  };
  readonly privateKeyPath: string;
  /** Fixed createdAt for reproducible bytes in tests; default now. */
  readonly createdAt?: string;
}): FinalPackage {
  const entries = readPackage(opts.candidateDir);
  const old = parseManifestEntry(entries);
  const { files: _files, signing: _signing, ...rest } = old;
  const v = versionFor(opts.job, opts.parent);
  const draft: ManifestDraft = {
    ...rest,
    version: v.version,
    build: v.build,
    ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
    metrics: {
      ...rest.metrics,
      ...manifestMetrics('heldOut', opts.metrics.candidate),
      ...manifestMetrics('parentHeldOut', opts.metrics.parent),
      ...calibrationMetrics(opts.metrics.calibration),
      ...pixelIntervalMetrics(opts.metrics.comparison),
    },
    // Calibrated on every normal frame the candidate did not train on (held-out + the fine-tune's validation share).
    threshold: {
      value: opts.threshold,
      method: opts.metrics.calibration ? 'unseen-normal-q0995' : 'heldout-normal-q0995',
    },
  };
  const privateKey = loadPrivateKey(opts.privateKeyPath);
  const publicKey = createPublicKey(privateKey);
  const files = entries.filter((e) => e.path !== MANIFEST_FILE && e.path !== SIGNATURE_FILE);
  const signed = buildPackage(draft, files, privateKey, publicKey);
  const tar = packPackage(signed, true);
  // What we upload is what we verified: read the tarball back and check signature + every digest.
  const verified = verifyEntries(readPackage(tar), [publicKey]);
  return { registryVersion: opts.job.targetVersion, manifest: verified.manifest, tar, sha256: sha256Hex(tar) };
}
