/**
 * JSONL dataset manifests — what the controller exports for fine-tuning. One JSON object per line:
 *
 *   {"image":"frames/000123.jpg","mask":"masks/000123.png","label":1,"defectType":"crack","lineId":"L3","cameraId":"cam-1"}
 *
 * - `image` (required) and `mask` (optional) are paths RELATIVE to the manifest's folder, using '/' separators; they
 *   may not be absolute or climb out with '..' (a manifest cannot point at arbitrary files on the trainer).
 * - `label` optional 0 | 1; `defectType`, `lineId`, `cameraId` optional non-empty strings (≤ 128 chars).
 * - A mask implies pixel labels; a mask with label 0 is allowed (an all-normal mask).
 * - Blank lines are ignored; unknown keys, duplicates of the same image and malformed JSON are errors that carry the
 *   1-based line number.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { DatasetError, DatasetErrorCodes } from './errors.js';
import type { ImageRef } from './samples.js';
import { isImageFile } from './mvtec.js';

export interface ManifestEntry {
  readonly image: string;
  readonly mask?: string;
  readonly label?: 0 | 1;
  readonly defectType?: string;
  readonly lineId?: string;
  readonly cameraId?: string;
}

/** A manifest entry resolved against the manifest folder, usable with loadSample(). */
export interface ManifestSample extends ImageRef {
  readonly entry: ManifestEntry;
  /** 1-based line in the manifest. */
  readonly line: number;
}

const KEYS = new Set(['image', 'mask', 'label', 'defectType', 'lineId', 'cameraId']);
const ID_KEYS = ['defectType', 'lineId', 'cameraId'] as const;

function invalid(line: number, message: string, source: string, extra: Record<string, unknown> = {}): DatasetError {
  return new DatasetError(DatasetErrorCodes.MANIFEST_INVALID, `${source}:${line}: ${message}`, {
    line,
    source,
    ...extra,
  });
}

function checkRelPath(v: unknown, key: string, line: number, source: string, needImageExt: boolean): string {
  if (typeof v !== 'string' || v.length === 0)
    throw invalid(line, `"${key}" must be a non-empty string`, source, { key });
  if (v.includes('\\') || isAbsolute(v) || posix.isAbsolute(v) || /^[a-zA-Z]:/.test(v)) {
    throw invalid(line, `"${key}" must be a relative path with '/' separators, got ${JSON.stringify(v)}`, source, {
      key,
    });
  }
  if (v.split('/').some((part) => part === '..' || part === '')) {
    throw invalid(line, `"${key}" may not contain '..' or empty segments: ${JSON.stringify(v)}`, source, { key });
  }
  if (needImageExt && !isImageFile(v.split('/').at(-1)!)) {
    throw invalid(line, `"${key}" must be a .jpg, .jpeg or .png file: ${JSON.stringify(v)}`, source, { key });
  }
  return v;
}

/** Validates one parsed line; returns a normalised entry (only known keys, in a fixed order). */
export function validateEntry(value: unknown, line: number, source = 'manifest'): ManifestEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(line, 'line must be a JSON object', source);
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!KEYS.has(k)) throw invalid(line, `unknown key "${k}"`, source, { key: k });
  const entry: { -readonly [K in keyof ManifestEntry]: ManifestEntry[K] } = {
    image: checkRelPath(obj['image'], 'image', line, source, true),
  };
  if (obj['mask'] !== undefined) entry.mask = checkRelPath(obj['mask'], 'mask', line, source, true);
  if (obj['label'] !== undefined) {
    if (obj['label'] !== 0 && obj['label'] !== 1)
      throw invalid(line, `"label" must be 0 or 1, got ${JSON.stringify(obj['label'])}`, source, { key: 'label' });
    entry.label = obj['label'];
  }
  for (const k of ID_KEYS) {
    const v = obj[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > 128)
      throw invalid(line, `"${k}" must be a string of 1–128 characters`, source, { key: k });
    entry[k] = v;
  }
  return entry;
}

/** Parses JSONL text; throws LW_DATA_MANIFEST_INVALID with the 1-based line number. */
export function parseManifest(text: string, source = 'manifest'): ManifestEntry[] {
  return parseWithLines(text, source).map((x) => x.entry);
}

function parseWithLines(text: string, source: string): { entry: ManifestEntry; line: number }[] {
  const entries: { entry: ManifestEntry; line: number }[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      throw invalid(line, `not valid JSON (${(e as Error).message})`, source);
    }
    const entry = validateEntry(value, line, source);
    const first = seen.get(entry.image);
    if (first !== undefined)
      throw invalid(line, `image ${entry.image} already listed on line ${first}`, source, { firstLine: first });
    seen.set(entry.image, line);
    entries.push({ entry, line });
  });
  return entries;
}

/** One JSON object per line, trailing newline. Entries are validated first (line numbers = positions). */
export function serializeManifest(entries: readonly ManifestEntry[]): string {
  const seen = new Map<string, number>();
  const lines = entries.map((e, i) => {
    const entry = validateEntry(e, i + 1, 'entries');
    const first = seen.get(entry.image);
    if (first !== undefined)
      throw invalid(i + 1, `image ${entry.image} already listed at position ${first}`, 'entries', { firstLine: first });
    seen.set(entry.image, i + 1);
    return JSON.stringify(entry);
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export async function writeManifest(path: string, entries: readonly ManifestEntry[]): Promise<void> {
  await writeFileAtomic(path, serializeManifest(entries));
}

/** Reads and validates a manifest and resolves paths against its folder. Throws LW_DATA_EMPTY for no entries. */
export async function readManifest(path: string): Promise<ManifestSample[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DatasetError(
      DatasetErrorCodes.MANIFEST_INVALID,
      `cannot read manifest ${path}: ${(e as Error).message}`,
      { source: path, line: 0 },
      { cause: e },
    );
  }
  const entries = parseWithLines(text, path);
  if (entries.length === 0)
    throw new DatasetError(DatasetErrorCodes.EMPTY, `manifest ${path} has no entries`, { source: path });
  const dir = dirname(resolve(path));
  return entries.map(({ entry, line }) => ({
    entry,
    line,
    path: join(dir, ...entry.image.split('/')),
    maskPath: entry.mask === undefined ? null : join(dir, ...entry.mask.split('/')),
    // Unlabelled entries stay null: a mask alone does not say whether any pixel is anomalous.
    label: entry.label ?? null,
  }));
}

/** Converts absolute sample paths into a manifest that lives in `manifestDir` (paths must be inside it). */
export function toManifestPath(manifestDir: string, absPath: string): string {
  const rel = relative(resolve(manifestDir), resolve(absPath));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new DatasetError(
      DatasetErrorCodes.BAD_ARGUMENT,
      `${absPath} is not inside the manifest folder ${manifestDir}`,
      { path: absPath, manifestDir },
    );
  }
  return rel.split(sep).join('/');
}

/**
 * Manifest entries for MVTec samples (or any labelled refs), with paths made relative to `manifestDir` — e.g. to turn
 * a folder dataset into the same JSONL form the controller exports. `defectType` is kept when present.
 */
export function manifestFromSamples(
  samples: readonly (ImageRef & { readonly defectType?: string })[],
  manifestDir: string,
  extra: Pick<ManifestEntry, 'lineId' | 'cameraId'> = {},
): ManifestEntry[] {
  return samples.map((s) => ({
    image: toManifestPath(manifestDir, s.path),
    ...(s.maskPath ? { mask: toManifestPath(manifestDir, s.maskPath) } : {}),
    ...(s.label === null ? {} : { label: s.label }),
    ...(s.label === 1 && s.defectType ? { defectType: s.defectType } : {}),
    ...extra,
  }));
}
