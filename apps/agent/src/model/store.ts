/**
 * Installed model packages on disk, A/B style:
 *
 *   models/pkgs/<version>/     verified package directories (written to a temp dir, then renamed: complete or absent)
 *   models/current.json        { live, previous } — replaced atomically (temp + fsync + rename)
 *   models/download/<sha>.part partial downloads (resumed with HTTP Range)
 *
 * A package directory is only deleted when no pointer names it, and the pointer only ever names complete
 * directories, so kill -9 at any moment leaves `live` (or, failing that, `previous`) loadable after restart.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { verifyPackage, writePackageDir } from '@linewatch/model-package';
import type { PackageFile, VerifiedPackage } from '@linewatch/model-package';
import { fsyncDir, writeFileAtomic, writeFileAtomicAsync } from '../fsutil.js';

export interface Pointer {
  readonly live: string;
  readonly previous: string | null;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export class ModelStore {
  readonly root: string;
  readonly pkgs: string;
  readonly downloads: string;
  private readonly pointerPath: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'models');
    this.pkgs = join(this.root, 'pkgs');
    this.downloads = join(this.root, 'download');
    this.pointerPath = join(this.root, 'current.json');
    mkdirSync(this.pkgs, { recursive: true });
    mkdirSync(this.downloads, { recursive: true });
  }

  pointer(): Pointer | undefined {
    try {
      const p = JSON.parse(readFileSync(this.pointerPath, 'utf8')) as Pointer;
      if (typeof p.live === 'string' && SAFE.test(p.live))
        return { live: p.live, previous: typeof p.previous === 'string' && SAFE.test(p.previous) ? p.previous : null };
    } catch {
      // absent or unreadable: treated as "no model installed"
    }
    return undefined;
  }

  setPointer(p: Pointer): void {
    writeFileAtomic(this.pointerPath, `${JSON.stringify(p)}\n`);
  }

  /** Same, without blocking frames: used at swap time while cameras run at full rate. */
  async setPointerAsync(p: Pointer): Promise<void> {
    await writeFileAtomicAsync(this.pointerPath, `${JSON.stringify(p)}\n`);
  }

  dir(version: string): string {
    if (!SAFE.test(version)) throw new Error(`unsafe version ${version}`);
    return join(this.pkgs, version);
  }

  has(version: string): boolean {
    return existsSync(join(this.dir(version), 'manifest.json'));
  }

  /** Writes verified entries as pkgs/<version> (atomic). An existing complete directory is replaced. */
  install(version: string, entries: readonly PackageFile[]): void {
    const dir = this.dir(version);
    const pointer = this.pointer();
    if (existsSync(dir)) {
      // Never touch what the pointer names; otherwise a leftover from an interrupted attempt is replaced.
      if (pointer && (pointer.live === version || pointer.previous === version)) return;
      rmSync(dir, { recursive: true, force: true });
    }
    for (const e of readdirSync(this.pkgs))
      if (e.startsWith(`.${version}`) || e.startsWith(`${version}.tmp`))
        rmSync(join(this.pkgs, e), { recursive: true, force: true });
    writePackageDir(dir, entries);
    fsyncDir(this.pkgs);
  }

  /** Re-verifies an installed package (signature + every file hash) before it is loaded. */
  verify(version: string, keys: readonly KeyObject[]): VerifiedPackage {
    return verifyPackage(this.dir(version), keys);
  }

  /** Deletes packages and temp leftovers that no pointer names. */
  prune(): void {
    const p = this.pointer();
    const keep = new Set([p?.live, p?.previous].filter((x): x is string => !!x));
    for (const e of readdirSync(this.pkgs))
      if (!keep.has(e)) rmSync(join(this.pkgs, e), { recursive: true, force: true });
  }

  clearDownloads(except?: string): void {
    for (const e of readdirSync(this.downloads)) if (e !== except) rmSync(join(this.downloads, e), { force: true });
  }
}
