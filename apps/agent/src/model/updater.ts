/**
 * Model update state machine (desired-state): downloading → verifying → loading → self-testing → (shadow) →
 * swapping → live, or failed(reason) at any step with the old model still serving. Each state is reported to the
 * controller. Disk state is A/B (see store.ts) so a kill -9 in any state leaves the old or the new model loadable;
 * after a restart the retained desired-model message arrives again and the update resumes (the download from its
 * .part file).
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPackageError, MANIFEST_FILE, MODEL_FILE, verifyBytes } from '@linewatch/model-package';
import type { VerifiedPackage } from '@linewatch/model-package';
import type {
  DesiredModelMessage,
  Manifest,
  ModelReportMessage,
  ModelUpdateReason,
  ModelUpdateState,
} from '@linewatch/protocol';
import { errnoOf, isAgentError, reasonOf } from '../errors.js';
import { download } from './download.js';
import type { LoadedModel } from './loaded-model.js';
import type { ModelStore } from './store.js';
import { verifyOffThread } from './verify.js';
import type { VerifyResponse } from './verify.js';

export interface UpdaterDeps {
  readonly device: string;
  readonly store: ModelStore;
  readonly trustedKeys: readonly KeyObject[];
  readonly maxDownloadBytes: number;
  readonly downloadTimeoutMs: number;
  /** The CA HTTPS package downloads are verified against (config `controller.caFile`). */
  readonly ca?: Buffer;
  live(): LoadedModel;
  load(version: string, manifest: Manifest, modelBytes: Uint8Array): Promise<LoadedModel>;
  swap(next: LoadedModel): LoadedModel;
  startShadow(m: LoadedModel): void;
  stopShadow():
    { frames: number; agree: number; liveFlags: number; shadowFlags: number; meanAbsDiff: number } | undefined;
  shadowFrames(): number;
  report(r: ModelReportMessage): void;
  /** Called when no update is running any more (status leaves `updating`). */
  idle?(): void;
  log(level: 'info' | 'warn', msg: string, details?: Record<string, unknown>): void;
  now(): number;
}

class UpdateFailure extends Error {
  constructor(
    readonly reason: ModelUpdateReason,
    message: string,
  ) {
    super(message);
  }
}

function fail(reason: ModelUpdateReason, message: string): never {
  throw new UpdateFailure(reason, message.slice(0, 1000));
}

function reasonForCode(code: string | undefined, errno: string | undefined): ModelUpdateReason {
  switch (code) {
    case 'LW_PKG_UNSIGNED':
    case 'LW_PKG_BAD_SIGNATURE':
    case 'LW_PKG_KEY_INVALID':
      return 'SIGNATURE_INVALID';
    case 'LW_PKG_DIGEST_MISMATCH':
    case 'LW_PKG_SIZE_MISMATCH':
    case 'LW_PKG_FILE_MISSING':
    case 'LW_PKG_FILE_UNLISTED':
      return 'HASH_MISMATCH';
    case 'LW_PKG_IO':
      return errno === 'ENOSPC' ? 'DISK_FULL' : 'LOAD_FAILED';
    default:
      return 'MANIFEST_INVALID';
  }
}

function packageReason(e: unknown): ModelUpdateReason {
  if (!isPackageError(e)) return errnoOf(e) === 'ENOSPC' ? 'DISK_FULL' : 'MANIFEST_INVALID';
  return reasonForCode(e.code, errnoOf((e as { cause?: unknown }).cause));
}

/**
 * Whether a failed download attempt is worth resuming: the agent's own errors say so (a dropped connection yes;
 * an HTTP error, the size limit or the overall timeout no); any other error is the connection's, unless the disk is full.
 */
function resumable(e: unknown): boolean {
  return isAgentError(e) ? e.retryable : errnoOf(e) !== 'ENOSPC';
}

function downloadReason(e: unknown): ModelUpdateReason {
  if (isAgentError(e) && e.code === 'LW_AGENT_DOWNLOAD_TIMEOUT') return 'TIMEOUT';
  return errnoOf(e) === 'ENOSPC' ? 'DISK_FULL' : 'DOWNLOAD_FAILED';
}

function verifyFailure(r: Extract<VerifyResponse, { ok: false }>): ModelUpdateReason {
  if (r.failure === 'hash') return 'HASH_MISMATCH';
  return r.failure === 'command-signature' ? 'SIGNATURE_INVALID' : reasonForCode(r.code, r.errno);
}

function housekeeping(f: () => void): void {
  try {
    f();
  } catch {
    /* housekeeping only */
  }
}

export class Updater {
  private current: { desired: DesiredModelMessage; abort: AbortController; done: Promise<void> } | undefined;
  private readonly failed = new Set<string>();
  /** Download attempts per update (each resumes where the previous one stopped). */
  downloadAttempts = 4;
  /** Last state reported per rollout (tests and status). */
  lastState: ModelUpdateState | undefined;

  constructor(private readonly deps: UpdaterDeps) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Resolves when no update is running. */
  async idle(): Promise<void> {
    while (this.current) await this.current.done;
  }

  onDesired(d: DesiredModelMessage): void {
    const key = `${d.rolloutId}/${d.version}`;
    const cur = this.current;
    if (cur && cur.desired.rolloutId === d.rolloutId && cur.desired.version === d.version) return; // redelivery
    if (this.failed.has(key)) return; // the controller decides whether to retry (with a new rollout)
    if (cur) cur.abort.abort();
    const abort = new AbortController();
    const prev = cur?.done ?? Promise.resolve();
    const done = prev
      .then(() => this.run(d, abort.signal))
      .finally(() => {
        if (this.current?.abort === abort) {
          this.current = undefined;
          this.deps.idle?.();
        }
      });
    this.current = { desired: d, abort, done };
  }

  private report(
    d: DesiredModelMessage,
    state: ModelUpdateState,
    extra: { progress?: number; reason?: ModelUpdateReason; message?: string } = {},
  ): void {
    this.lastState = state;
    this.deps.report({
      device: this.deps.device,
      rolloutId: d.rolloutId,
      version: d.version,
      state,
      ...(extra.reason
        ? { reason: { code: extra.reason, ...(extra.message ? { message: extra.message.slice(0, 1024) } : {}) } }
        : {}),
      ...(extra.progress !== undefined ? { progress: Math.max(0, Math.min(1, extra.progress)) } : {}),
      liveVersion: this.deps.live().version,
      ts: this.deps.now(),
    });
  }

  private async run(d: DesiredModelMessage, signal: AbortSignal): Promise<void> {
    let candidate: LoadedModel | undefined;
    const check = (): void => {
      if (signal.aborted) fail('SUPERSEDED', 'a newer desired model arrived');
    };
    try {
      if (d.version === this.deps.live().version) {
        this.report(d, 'live');
        return;
      }
      const verified = await this.acquire(d, signal, check);
      check();
      this.refuseDowngrade(d, verified.manifest);
      this.report(d, 'loading');
      candidate = await this.loadCandidate(d, verified);
      check();
      await this.selfTest(d, candidate, verified);
      check();
      if (d.shadow && !d.rollback) await this.shadow(d, candidate, signal);
      const old = await this.persistPointer(d);
      this.deps.swap(candidate);
      candidate = undefined; // live now: a failure from here on must not release it
      await this.retire(d, old);
    } catch (e) {
      await this.onFailure(d, e, candidate);
    }
  }

  private refuseDowngrade(d: DesiredModelMessage, manifest: Manifest): void {
    const live = this.deps.live();
    if (!d.rollback && manifest.build <= live.build) {
      fail(
        'INCOMPATIBLE',
        `downgrade refused: build ${manifest.build} <= live build ${live.build} and rollback is false`,
      );
    }
  }

  private async loadCandidate(d: DesiredModelMessage, verified: VerifiedPackage): Promise<LoadedModel> {
    try {
      return await this.deps.load(d.version, verified.manifest, verified.files.get(MODEL_FILE)!);
    } catch (e) {
      fail(isAgentError(e) && e.code === 'LW_AGENT_MODEL_INCOMPATIBLE' ? 'INCOMPATIBLE' : 'LOAD_FAILED', reasonOf(e));
    }
  }

  private async selfTest(d: DesiredModelMessage, candidate: LoadedModel, verified: VerifiedPackage): Promise<void> {
    this.report(d, 'self-testing');
    const problem = await candidate.selfTest(verified.files).catch((e: unknown) => `self-test crashed: ${reasonOf(e)}`);
    if (problem) fail('SELF_TEST_FAILED', problem);
  }

  /** Names the new version live on disk (the old one kept as previous); returns the model it replaces. */
  private async persistPointer(d: DesiredModelMessage): Promise<LoadedModel> {
    this.report(d, 'swapping');
    const old = this.deps.live();
    try {
      await this.deps.store.setPointerAsync({ live: d.version, previous: old.version });
    } catch (e) {
      fail(errnoOf(e) === 'ENOSPC' ? 'DISK_FULL' : 'SWAP_FAILED', `cannot persist model pointer: ${reasonOf(e)}`);
    }
    return old;
  }

  /** After the swap: report, release the replaced model, drop what is no longer kept. */
  private async retire(d: DesiredModelMessage, old: LoadedModel): Promise<void> {
    this.report(d, 'live');
    this.deps.log('info', `model ${d.version} live (previous ${old.version} kept for rollback)`);
    await old.release();
    housekeeping(() => {
      this.deps.store.prune();
      this.deps.store.clearDownloads();
    });
  }

  private async onFailure(d: DesiredModelMessage, e: unknown, candidate: LoadedModel | undefined): Promise<void> {
    if (candidate) {
      this.deps.stopShadow();
      await candidate.release().catch(() => undefined);
    }
    housekeeping(() => this.deps.store.prune()); // a rejected package must not linger on disk (the .part stays for resuming)
    const reason: ModelUpdateReason = e instanceof UpdateFailure ? e.reason : 'LOAD_FAILED';
    const message = reasonOf(e);
    if (reason !== 'SUPERSEDED') this.failed.add(`${d.rolloutId}/${d.version}`);
    this.report(d, 'failed', { reason, message });
    this.deps.log('warn', `LW_AGENT_UPDATE_FAILED: ${reason}: ${message}`, {
      rolloutId: d.rolloutId,
      version: d.version,
    });
  }

  /** Download (or reuse a kept package for a rollback) and verify. Installs the verified package on disk. */
  private async acquire(d: DesiredModelMessage, signal: AbortSignal, check: () => void): Promise<VerifiedPackage> {
    if (d.rollback && this.deps.store.has(d.version)) return this.reverifyKept(d);
    const part = await this.fetch(d, signal, check);
    check();
    return this.verifyDownload(d, part);
  }

  /** Fast path: the previous package is still on disk; re-verify it (signature + hashes), no download. */
  private reverifyKept(d: DesiredModelMessage): VerifiedPackage {
    const store = this.deps.store;
    this.report(d, 'verifying');
    try {
      const v = store.verify(d.version, this.deps.trustedKeys);
      this.checkCommandSignature(d, readFileSync(join(store.dir(d.version), MANIFEST_FILE)));
      return v;
    } catch (e) {
      if (e instanceof UpdateFailure) throw e;
      fail(packageReason(e), reasonOf(e));
    }
  }

  /**
   * Downloads into `<sha256>.part`. A dropped connection is retried, resuming from the bytes already on disk (Range);
   * HTTP errors, the size limit, a full disk and the overall timeout are not. Returns the path.
   */
  private async fetch(d: DesiredModelMessage, signal: AbortSignal, check: () => void): Promise<string> {
    const store = this.deps.store;
    this.report(d, 'downloading', { progress: 0 });
    const part = join(store.downloads, `${d.sha256}.part`);
    store.clearDownloads(`${d.sha256}.part`);
    let lastPct = 0;
    const onProgress = (got: number, total: number | undefined): void => {
      if (total === undefined) return;
      const pct = Math.floor((got / total) * 10);
      if (pct > lastPct) {
        lastPct = pct;
        this.report(d, 'downloading', { progress: got / total });
      }
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await download(d.packageUrl, part, {
          maxBytes: this.deps.maxDownloadBytes,
          timeoutMs: this.deps.downloadTimeoutMs,
          signal,
          onProgress,
          ...(this.deps.ca ? { ca: this.deps.ca } : {}),
        });
        return part;
      } catch (e) {
        check();
        if (!resumable(e) || attempt >= this.downloadAttempts)
          fail(downloadReason(e), `${reasonOf(e)} (attempt ${attempt})`);
        this.deps.log('warn', `download interrupted (${reasonOf(e)}); resuming`, { attempt });
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  /** Checks the downloaded archive off the main thread, then installs it as `pkgs/<version>`. */
  private async verifyDownload(d: DesiredModelMessage, part: string): Promise<VerifiedPackage> {
    this.report(d, 'verifying');
    let res: VerifyResponse;
    try {
      const bytes = await readFile(part);
      res = await verifyOffThread({
        bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        keys: this.deps.trustedKeys,
        maxBytes: this.deps.maxDownloadBytes,
        sha256: d.sha256,
        commandSignature: d.signature,
      });
    } catch (e) {
      fail('MANIFEST_INVALID', `verification failed to run: ${reasonOf(e)}`);
    }
    if (!res.ok) {
      if (res.failure === 'hash') rmSync(part, { force: true }); // a corrupt partial must not be resumed
      fail(verifyFailure(res), res.message);
    }
    const { manifest, entries } = res;
    try {
      this.deps.store.install(d.version, entries);
    } catch (e) {
      fail(packageReason(e), reasonOf(e));
    }
    const listed = new Set(manifest.files.map((f) => f.path));
    return {
      manifest,
      files: new Map(entries.filter((e) => listed.has(e.path)).map((e) => [e.path, e.data])),
      keyId: manifest.signing.keyId,
    };
  }

  /** The command's own signature must cover the same manifest bytes, so a package cannot be swapped under a command. */
  private checkCommandSignature(d: DesiredModelMessage, manifestBytes: Uint8Array): void {
    const keyId = (JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as Manifest).signing.keyId;
    const ok = verifyBytes(manifestBytes, { scheme: 'ed25519', keyId, signature: d.signature }, this.deps.trustedKeys);
    if (!ok) fail('SIGNATURE_INVALID', 'the desired-model signature does not verify over the package manifest');
  }

  private async shadow(d: DesiredModelMessage, candidate: LoadedModel, signal: AbortSignal): Promise<void> {
    const { durationS, minFrames } = d.shadow!;
    this.deps.startShadow(candidate);
    const t0 = this.deps.now();
    this.report(d, 'shadow', { progress: 0 });
    let lastPct = 0;
    try {
      for (;;) {
        await new Promise((r) => setTimeout(r, 200));
        if (signal.aborted) fail('SUPERSEDED', 'a newer desired model arrived');
        const frames = this.deps.shadowFrames();
        const p = Math.min((this.deps.now() - t0) / (durationS * 1000), minFrames > 0 ? frames / minFrames : 1);
        if (p >= 1) break;
        const pct = Math.floor(p * 10);
        if (pct > lastPct) {
          lastPct = pct;
          this.report(d, 'shadow', { progress: p });
        }
      }
    } finally {
      const stats = this.deps.stopShadow();
      if (stats) {
        this.deps.log('info', 'shadow window done', {
          version: d.version,
          frames: stats.frames,
          agreement: stats.frames ? stats.agree / stats.frames : 0,
          liveFlagRate: stats.frames ? stats.liveFlags / stats.frames : 0,
          shadowFlagRate: stats.frames ? stats.shadowFlags / stats.frames : 0,
          meanAbsScoreDiff: stats.meanAbsDiff,
        });
        this.lastShadow = stats;
      }
    }
  }

  /** Agreement / flag-rate statistics of the last shadow window. */
  lastShadow:
    { frames: number; agree: number; liveFlags: number; shadowFlags: number; meanAbsDiff: number } | undefined;
}
