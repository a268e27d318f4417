/**
 * Test fixtures for the worker (its tests; other projects' tests through `@linewatch/trainer/testing`): synthetic job datasets in the controller's
 * export shape (two JSONL manifests + images + masks), a tiny-preset parent package, and an in-memory `JobIO`
 * that records every call.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeManifest, type ManifestEntry } from '@linewatch/datasets';
import { packPackage, readPackage } from '@linewatch/model-package';
import { encodeMaskPng, encodePng, generateSurface } from '@linewatch/vision';
import { silentProgress } from '../progress.js';
import { runTrain } from '../train/pipeline.js';
import type {
  ClaimedJob,
  DatasetOnDisk,
  HeartbeatAnswer,
  JobFailure,
  JobIO,
  JobProgress,
  JobResult,
} from '../worker/types.js';

export interface SyntheticSplit {
  readonly normal: number;
  readonly anomalous: number;
}

const SIZE = { width: 80, height: 72 };

async function writeImages(dir: string, prefix: string, split: SyntheticSplit, seed: string): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  mkdirSync(join(dir, 'frames'), { recursive: true });
  mkdirSync(join(dir, 'masks'), { recursive: true });
  for (let i = 0; i < split.normal + split.anomalous; i++) {
    const anomalous = i >= split.normal;
    const defect = anomalous ? (i % 2 === 0 ? 'scratch' : 'blob') : 'none';
    const s = generateSurface({ seed: `${seed}/${prefix}/${i}`, ...SIZE, texture: 'brushed', defect, grayscale: true });
    const image = `frames/${prefix}-${i}.png`;
    writeFileSync(join(dir, image), await encodePng(s.image));
    if (anomalous) {
      const mask = `masks/${prefix}-${i}.png`;
      writeFileSync(join(dir, mask), await encodeMaskPng(s.mask));
      entries.push({ image, mask, label: 1, defectType: defect });
    } else entries.push({ image, label: 0 });
  }
  return entries;
}

/** A snapshot as the worker gets it: `train.jsonl` and `heldout.jsonl` beside `frames/` and `masks/` in `dir`. */
export async function writeJobDataset(
  dir: string,
  train: SyntheticSplit,
  heldOut: SyntheticSplit,
  seed = 'job',
): Promise<DatasetOnDisk> {
  const t = await writeImages(dir, 'train', train, seed);
  const h = await writeImages(dir, 'heldout', heldOut, seed);
  const paths = { train: join(dir, 'train.jsonl'), heldOut: join(dir, 'heldout.jsonl') };
  await writeManifest(paths.train, t);
  await writeManifest(paths.heldOut, h);
  return paths;
}

/** A normal-only tiny-preset parent trained on synthetic surfaces, as a signed .tar.gz. Seconds on 2 cores. */
export async function trainParent(dir: string, privateKeyPath: string): Promise<{ tar: Uint8Array; dir: string }> {
  const data = join(dir, 'parent-data');
  mkdirSync(join(data, 'train', 'good'), { recursive: true });
  mkdirSync(join(data, 'test', 'good'), { recursive: true });
  for (let i = 0; i < 20; i++) {
    const s = generateSurface({ seed: `parent/${i}`, ...SIZE, texture: 'brushed', defect: 'none', grayscale: true });
    writeFileSync(join(data, 'train', 'good', `${i}.png`), await encodePng(s.image));
  }
  const out = join(dir, 'parent');
  await runTrain(
    { data, preset: 'tiny', backbone: { kind: 'nsfwjs' }, out, resume: false, privateKeyPath },
    silentProgress,
  );
  return { tar: packPackage(readPackage(out), true), dir: out };
}

export interface MemoryCall {
  readonly op: 'fetchParent' | 'fetchDataset' | 'heartbeat' | 'complete' | 'fail';
  readonly progress?: JobProgress;
  readonly result?: JobResult;
  readonly failure?: JobFailure;
}

/** In-memory controller side of one job: serves files from disk, records calls, can take the lease back. */
export class MemoryJobIO implements JobIO {
  readonly calls: MemoryCall[] = [];
  /** Set to make heartbeats answer 'lost' (the lease was re-claimed elsewhere). */
  leaseLost = false;
  /** Called on every heartbeat (tests use it to act at a given phase). */
  onHeartbeat: ((p: JobProgress) => void) | null = null;

  constructor(
    private readonly parentTar: Uint8Array,
    private readonly dataset: DatasetOnDisk & { readonly dir: string },
  ) {}

  async fetchParent(_job: ClaimedJob, dest: string): Promise<void> {
    this.calls.push({ op: 'fetchParent' });
    writeFileSync(dest, this.parentTar);
  }

  async fetchDataset(_job: ClaimedJob, dir: string): Promise<DatasetOnDisk> {
    this.calls.push({ op: 'fetchDataset' });
    // The worker's copy is its own (it deletes it afterwards): copy manifests and every file they name.
    for (const sub of ['frames', 'masks']) mkdirSync(join(dir, sub), { recursive: true });
    for (const sub of ['frames', 'masks'])
      for (const f of readdirSync(join(this.dataset.dir, sub)))
        copyFileSync(join(this.dataset.dir, sub, f), join(dir, sub, f));
    copyFileSync(this.dataset.train, join(dir, 'train.jsonl'));
    copyFileSync(this.dataset.heldOut, join(dir, 'heldout.jsonl'));
    return { train: join(dir, 'train.jsonl'), heldOut: join(dir, 'heldout.jsonl') };
  }

  async heartbeat(_job: ClaimedJob, progress: JobProgress): Promise<HeartbeatAnswer> {
    this.calls.push({ op: 'heartbeat', progress });
    this.onHeartbeat?.(progress);
    return this.leaseLost ? 'lost' : 'ok';
  }

  async complete(_job: ClaimedJob, result: JobResult): Promise<void> {
    this.calls.push({ op: 'complete', result });
  }

  async fail(_job: ClaimedJob, failure: JobFailure): Promise<void> {
    this.calls.push({ op: 'fail', failure });
  }
}
