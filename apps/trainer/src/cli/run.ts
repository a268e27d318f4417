/**
 * Dispatch: argv → command → exit code. In-process and stream-injectable so tests need no child process. The command
 * table is an argument (main.ts passes ../commands' COMMANDS) because the commands import the CLI's flag helpers:
 * importing them here would make a cycle.
 */
import { EXIT, TrainerError, formatError } from '../errors.js';
import { createProgress, type Progress } from '../progress.js';
import { parseFlags } from './args.js';
import type { CliContext, Command, Output } from './command.js';
import { commandHelp, programHelp } from './help.js';
import { TRAINER_VERSION } from '../version.js';

export interface RunOptions {
  readonly stdout?: Output;
  readonly stderr?: Output;
  readonly progress?: Progress;
  readonly cwd?: string;
}

export async function runCli(
  commands: readonly Command[],
  argv: readonly string[],
  opts: RunOptions = {},
): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const ctx: CliContext = {
    stdout,
    stderr,
    progress: opts.progress ?? createProgress(stderr),
    cwd: opts.cwd ?? process.cwd(),
  };
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      (name === undefined ? stderr : stdout).write(programHelp(commands));
      return name === undefined ? EXIT.trainer : EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      stdout.write(`${TRAINER_VERSION}\n`);
      return EXIT.ok;
    }
    const cmd = commands.find((c) => c.name === name);
    if (!cmd) {
      throw new TrainerError(
        'LW_TRAINER_USAGE',
        `unknown command ${JSON.stringify(name)} (commands: ${commands.map((c) => c.name).join(', ')})`,
        {
          command: name,
        },
      );
    }
    const values = parseFlags(cmd, rest);
    if (values.help === true) {
      stdout.write(commandHelp(cmd));
      return EXIT.ok;
    }
    return await cmd.run(values, ctx);
  } catch (e) {
    const { line, exitCode } = formatError(e);
    stderr.write(`${line}\n`);
    if (exitCode === EXIT.unexpected && e instanceof Error && e.stack) stderr.write(`${e.stack}\n`);
    return exitCode;
  }
}
