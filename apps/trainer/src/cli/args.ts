/**
 * Flag parsing on node:util parseArgs, with every failure turned into a coded LW_TRAINER_* error, plus the small
 * validators commands use to turn raw strings into typed options.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TrainerError } from '../errors.js';
import type { Command, FlagValues } from './command.js';

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

export function parseFlags(cmd: Command, argv: readonly string[]): FlagValues & { help?: boolean } {
  const options: ParseArgsOptions = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries(cmd.flags)) {
    options[name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    const msg = (e as Error).message;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new TrainerError('LW_TRAINER_UNKNOWN_FLAG', `${cmd.name}: ${msg}`, { command: cmd.name });
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new TrainerError('LW_TRAINER_USAGE', `${cmd.name}: ${msg}`, { command: cmd.name });
    throw new TrainerError('LW_TRAINER_BAD_VALUE', `${cmd.name}: ${msg}`, { command: cmd.name });
  }
  if (values['help'] === true) return { help: true };
  for (const [name, f] of Object.entries(cmd.flags)) {
    if (f.required && values[name] === undefined) {
      throw new TrainerError('LW_TRAINER_MISSING_FLAG', `${cmd.name} needs --${name} ${f.value ?? ''}`.trimEnd(), {
        command: cmd.name,
        flag: name,
      });
    }
  }
  for (const [name, v] of Object.entries(values)) {
    const list = Array.isArray(v) ? v : [v];
    if (list.some((s) => typeof s === 'string' && s.trim() === '')) {
      throw new TrainerError('LW_TRAINER_BAD_VALUE', `--${name} must not be empty`, { flag: name });
    }
  }
  return values as FlagValues;
}

export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireStr(values: FlagValues, name: string): string {
  const v = str(values, name);
  if (v === undefined) throw new TrainerError('LW_TRAINER_MISSING_FLAG', `--${name} is required`, { flag: name });
  return v;
}

export function strList(values: FlagValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function bool(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

export function choice<T extends string>(values: FlagValues, name: string, allowed: readonly T[], fallback?: T): T {
  const v = str(values, name) ?? fallback;
  if (v === undefined)
    throw new TrainerError('LW_TRAINER_MISSING_FLAG', `--${name} is required (${allowed.join('|')})`, { flag: name });
  if (!(allowed as readonly string[]).includes(v)) {
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      `--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`,
      { flag: name, value: v },
    );
  }
  return v as T;
}

export function positiveInt(values: FlagValues, name: string, fallback: number, max = 1_000_000): number {
  return intInRange(values, name, fallback, 1, max);
}

/** 0..max; the flag must be given (callers check `str(values, name)` first when it is optional). */
export function nonNegativeInt(values: FlagValues, name: string, max: number): number {
  return intInRange(values, name, 0, 0, max);
}

function intInRange(values: FlagValues, name: string, fallback: number, min: number, max: number): number {
  const v = str(values, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      `--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`,
      { flag: name, value: v },
    );
  }
  return n;
}

export type PathKind = 'file' | 'dir' | 'any';

/** Resolves a path flag against cwd and checks that it exists as the given kind. */
export function existingPath(value: string, flag: string, cwd: string, kind: PathKind = 'any'): string {
  const p = resolve(cwd, value);
  const st = statSync(p, { throwIfNoEntry: false });
  const ok = st !== undefined && (kind === 'any' || (kind === 'dir' ? st.isDirectory() : st.isFile()));
  if (!ok) {
    const what = kind === 'any' ? 'file or folder' : kind === 'dir' ? 'folder' : 'file';
    throw new TrainerError('LW_TRAINER_BAD_VALUE', `--${flag}: no ${what} at ${p}`, { flag, path: p });
  }
  return p;
}

/** Resolves an output path and refuses to overwrite one that exists (unless `force`). */
export function freshPath(value: string, flag: string, cwd: string, force = false): string {
  const p = resolve(cwd, value);
  if (!force && statSync(p, { throwIfNoEntry: false })) {
    throw new TrainerError('LW_TRAINER_EXISTS', `--${flag}: ${p} already exists`, { flag, path: p });
  }
  return p;
}
