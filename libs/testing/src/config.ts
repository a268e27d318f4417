/**
 * The one place this lib reads the environment. `LW_REQUIRE_SHARED_DATA=1` (set by .ci/run) turns "skip: the data is
 * not here" into a failure; `LW_SHARED_DIR` points at another ../shared (default: the folder beside the clone).
 */
import { fileURLToPath } from 'node:url';

export interface SharedDataConfig {
  /** Absolute path of the shared folder (the one holding data/ and backbones/). */
  readonly root: string;
  /** Missing data fails the test instead of skipping it. */
  readonly required: boolean;
}

// src/config.ts (or dist/config.js) → libs/testing → libs → the clone → the folder beside it.
const DEFAULT_ROOT = fileURLToPath(new URL('../../../../shared', import.meta.url));

export function sharedDataConfig(env: Readonly<Record<string, string | undefined>> = process.env): SharedDataConfig {
  const flag = (env['LW_REQUIRE_SHARED_DATA'] ?? '').trim().toLowerCase();
  return Object.freeze({
    root: env['LW_SHARED_DIR'] || DEFAULT_ROOT,
    required: flag === '1' || flag === 'true' || flag === 'yes',
  });
}
