/**
 * Data from ../shared (read-only, beside the clone; never copied into the repo). A user's clone has no ../shared, so
 * tests that need it skip with a reason naming the folder; CI sets LW_REQUIRE_SHARED_DATA=1 and the same tests run —
 * and fail, naming the folder, if it is missing.
 *
 *   const tile = sharedData('data/magnetic-tile');
 *   test('reads real defects', { skip: tile.skip }, () => load(tile.path()));
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sharedDataConfig, type SharedDataConfig } from './config.js';
import { TestingError } from './errors.js';

export interface SharedData {
  /** Where the data is expected. */
  readonly location: string;
  readonly present: boolean;
  /** For node:test's `skip` option: a reason when the data is absent and not required, otherwise false. */
  readonly skip: string | false;
  /** The path, or a coded LW_TESTING_SHARED_DATA_MISSING error naming the missing folder. */
  path(): string;
}

export function sharedData(relative: string, config: SharedDataConfig = sharedDataConfig()): SharedData {
  const location = resolve(join(config.root, relative));
  const present = existsSync(location);
  const missing = `../shared/${relative} is not at ${location}`;
  const skip =
    present || config.required
      ? false
      : `${missing} (clone without ../shared; set LW_REQUIRE_SHARED_DATA=1 to fail instead)`;
  return Object.freeze({
    location,
    present,
    skip,
    path(): string {
      if (present) return location;
      const why = config.required ? 'LW_REQUIRE_SHARED_DATA=1 requires it' : 'this test needs it';
      throw new TestingError('LW_TESTING_SHARED_DATA_MISSING', `${missing}: ${why}`, { relative, location });
    },
  });
}
