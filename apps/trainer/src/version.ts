/** The trainer's version, from its package.json (`--version`, the worker's log lines). */
import { readFileSync } from 'node:fs';

// One level up from both src/ (dev, tsx) and dist/ (built) is the package root.
export const TRAINER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
