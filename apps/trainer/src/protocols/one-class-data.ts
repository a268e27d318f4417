/**
 * The one-class protocol's images on disk: a dataset of classes (folder, CIFAR-10 binary, IDX) becomes, in the run's
 * work folder, PNG files (binary formats; written once, deterministic bytes so the feature cache hits on reruns and
 * across classes) or a link to the user's folder, plus per class a training manifest (that class's training images,
 * all normal) and a test manifest (every test image; normal = that class, the others anomalies typed by their class).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassDataset, ClassSample, Split } from '@linewatch/datasets';
import { encodePng } from '@linewatch/vision';
import type { Progress } from '../progress.js';
import { linkInto, writeLinkedManifest } from './linked-data.js';
import { itemSlug } from './result-store.js';

export interface OneClassSelection {
  /** Classes to run (default all). */
  readonly classes?: readonly string[];
  /** Training images per chosen class (default all). */
  readonly trainLimit?: number;
  /** Test images per class, every class (default all). */
  readonly testLimitPerClass?: number;
}

export interface ClassImageFile {
  readonly className: string;
  readonly path: string;
}

export interface OneClassImages {
  readonly chosen: readonly string[];
  readonly train: ReadonlyMap<string, readonly ClassImageFile[]>;
  readonly test: readonly ClassImageFile[];
  /** Folder the manifests are written in (every image path is under it). */
  readonly work: string;
  /** The link or folder the image files are under, relative to `work`. */
  readonly linkName: string;
  readonly root: string;
}

/** A binary sample's PNG under `<root>/<split>/<class slug>/<index>.png`, written unless it is already there. */
async function pngFile(root: string, s: ClassSample): Promise<string> {
  const path = join(root, s.split, itemSlug(s.className), `${s.index}.png`);
  if (s.source.kind === 'file' || existsSync(path)) return path;
  mkdirSync(join(root, s.split, itemSlug(s.className)), { recursive: true });
  writeFileSync(`${path}.tmp`, await encodePng(s.source.image));
  renameSync(`${path}.tmp`, path); // a crash never leaves a half-written PNG under the final name
  return path;
}

async function collect(
  ds: ClassDataset,
  root: string,
  split: Split,
  sel: { classes?: readonly string[]; limitPerClass?: number },
): Promise<ClassImageFile[]> {
  const out: ClassImageFile[] = [];
  for await (const s of ds.samples(split, sel))
    out.push({ className: s.className, path: s.source.kind === 'file' ? s.source.path : await pngFile(root, s) });
  return out;
}

export async function prepareOneClassImages(
  ds: ClassDataset,
  work: string,
  sel: OneClassSelection,
  progress: Progress,
): Promise<OneClassImages> {
  const chosen = sel.classes ?? ds.classes;
  const linkName = ds.kind === 'folder' ? 'data' : 'images';
  const root = ds.kind === 'folder' ? linkInto(work, linkName, ds.root) : join(work, linkName);
  const dsView: ClassDataset =
    ds.kind === 'folder' ? { ...ds, samples: (split, s) => relinked(ds, root, split, s) } : ds;
  const trainCap = sel.trainLimit !== undefined ? { limitPerClass: sel.trainLimit } : {};
  const testCap = sel.testLimitPerClass !== undefined ? { limitPerClass: sel.testLimitPerClass } : {};
  const trainFiles = await collect(dsView, root, 'train', { classes: chosen, ...trainCap });
  const test = await collect(dsView, root, 'test', testCap);
  const train = new Map(chosen.map((c) => [c, trainFiles.filter((f) => f.className === c)]));
  progress.log(
    `one-class data: ${trainFiles.length} training images of ${chosen.length} classes, ${test.length} test images`,
  );
  return { chosen, train, test, work, linkName, root };
}

/** A folder dataset's samples with their paths seen through the work folder's link. */
async function* relinked(ds: ClassDataset, link: string, split: Split, sel: Parameters<ClassDataset['samples']>[1]) {
  for await (const s of ds.samples(split, sel)) {
    if (s.source.kind !== 'file') yield s;
    else yield { ...s, source: { kind: 'file' as const, path: join(link, s.source.path.slice(ds.root.length)) } };
  }
}

/** The two manifests of one class's run: `<slug>.train.jsonl` and `<slug>.test.jsonl` in the work folder. */
export async function writeClassManifests(
  images: OneClassImages,
  className: string,
): Promise<{ train: string; test: string }> {
  const slug = itemSlug(className);
  const train = (images.train.get(className) ?? []).map((f) => ({ path: f.path, label: 0 as const }));
  const test = images.test.map((f) =>
    f.className === className
      ? { path: f.path, label: 0 as const }
      : { path: f.path, label: 1 as const, defectType: f.className },
  );
  return {
    train: await writeLinkedManifest(join(images.work, `${slug}.train.jsonl`), images.linkName, images.root, train),
    test: await writeLinkedManifest(join(images.work, `${slug}.test.jsonl`), images.linkName, images.root, test),
  };
}
