/** --help text, generated from the command table so it cannot drift from what the parser accepts. */
import type { Command } from './command.js';

export const PROGRAM = 'linewatch-trainer';

export function commandHelp(cmd: Command): string {
  const rows = Object.entries(cmd.flags).map(([name, f]) => {
    const left = `  --${name}${f.value ? ` ${f.value}` : ''}`;
    const tags = [f.required ? 'required' : '', f.multiple ? 'repeatable' : ''].filter(Boolean).join(', ');
    return `${left.padEnd(30)} ${f.description}${tags ? ` (${tags})` : ''}`;
  });
  rows.push(`${'  -h, --help'.padEnd(30)} show this help`);
  const lines = [`usage: ${PROGRAM} ${cmd.usage}`, '', cmd.summary, '', 'flags:', ...rows];
  if (cmd.example) lines.push('', 'example:', `  ${cmd.example}`);
  return `${lines.join('\n')}\n`;
}

export function programHelp(commands: readonly Command[]): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return [
    `usage: ${PROGRAM} <command> [flags] | --version`,
    '',
    'Train, fine-tune, evaluate, sign and verify linewatch anomaly-detection model packages.',
    '',
    'commands:',
    ...rows,
    '',
    `Run \`${PROGRAM} <command> --help\` for a command's flags; \`${PROGRAM} --version\` prints the version.`,
    'Exit status: 0 ok, 1 unexpected error, 2 usage/trainer error (LW_TRAINER_*), 3 input rejected by a lib (LW_PKG_*, LW_DATA_*, …).',
    '',
  ].join('\n');
}
