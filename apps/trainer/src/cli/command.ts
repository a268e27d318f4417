/** What every CLI command declares: its flags (for parseArgs and for --help) and a handler. */
import type { Progress } from '../progress.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** Placeholder in help, e.g. `<dir>`. */
  readonly value?: string;
  readonly description: string;
  readonly required?: boolean;
  readonly multiple?: boolean;
  readonly short?: string;
}

export interface Output {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
}

export interface CliContext {
  readonly stdout: Output;
  readonly stderr: Output;
  /** Progress on stderr (TTY-aware); tests pass a silent one. */
  readonly progress: Progress;
  /** Working directory that relative paths resolve against. */
  readonly cwd: string;
}

export type FlagValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly example?: string;
  /** Returns the exit code (0 = success). Throws coded errors for everything else. */
  run(values: FlagValues, ctx: CliContext): Promise<number>;
}
