/**
 * Per-item results of a multi-item run, one JSON file per item written atomically as soon as the item is finished,
 * so a run that stops (crash, Ctrl-C, a full disk) loses at most the item in progress and a rerun skips the rest.
 * A file is only trusted when its settings match the run's: changing the preset or the limits re-runs the item.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrainerError } from '../errors.js';

/** A file-system-safe name for an item (class names like `T-shirt/top` contain slashes). */
export function itemSlug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'item';
}

export class ResultStore<T> {
  constructor(
    readonly dir: string,
    /** What must match for a stored result to be reused (preset, limits, backbone…). */
    private readonly settings: unknown,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private file(name: string): string {
    return join(this.dir, `${itemSlug(name)}.json`);
  }

  /** The stored result, or undefined when there is none, it is unreadable, or it was made with other settings. */
  get(name: string): T | undefined {
    try {
      const stored = JSON.parse(readFileSync(this.file(name), 'utf8')) as { settings: unknown; result: T };
      return JSON.stringify(stored.settings) === JSON.stringify(this.settings) ? stored.result : undefined;
    } catch {
      return undefined; // missing or half-written by a crashed run: the item runs again
    }
  }

  put(name: string, result: T): void {
    const path = this.file(name);
    try {
      writeFileSync(`${path}.tmp`, `${JSON.stringify({ name, settings: this.settings, result }, null, 2)}\n`);
      renameSync(`${path}.tmp`, path);
    } catch (e) {
      throw new TrainerError('LW_TRAINER_IO', `cannot write ${path}: ${(e as Error).message}`, { path }, { cause: e });
    }
  }
}
