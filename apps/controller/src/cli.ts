/**
 * `linewatch-controller [--config <file>]`: the command line of the entry point. Everything else is configuration
 * (JSON file and LW_* environment, see the README), so the flags are few: where the config file is, and help.
 */
import { parseArgs } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const USAGE = `Usage: linewatch-controller [--config <file>]

Runs the linewatch controller: HTTP API and QA UI, MQTT ingest (embedded broker or an external one), model
registry, rollouts and training jobs. Configuration: defaults <- JSON file <- LW_* environment (see the
controller README). Plaintext HTTP/MQTT on a non-loopback address is refused unless tls.allowPlaintext is set.

Options:
  -c, --config <file>  JSON config file (default: $LW_CONTROLLER_CONFIG, else defaults and environment only)
  -h, --help           print this help and exit 0
  -v, --version        print the controller's version and exit 0

Exit codes:
  0  stopped by SIGINT/SIGTERM/SIGHUP after a clean shutdown, or --help / --version
  1  refused to start (one line: LW_CTRL_<code>: message, e.g. LW_CTRL_CONFIG_INVALID,
     LW_CTRL_PLAINTEXT_REFUSED, LW_CTRL_PUBLIC_URL_REQUIRED, LW_CTRL_TLS_INVALID), or the shutdown failed
  2  bad command line
`;

export type Cli =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; configFile: string | undefined }
  | { kind: 'usage'; why: string };

export function parseCli(argv: readonly string[]): Cli {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) return { kind: 'help' };
    if (values.version) return { kind: 'version' };
    return { kind: 'run', configFile: values.config };
  } catch (e) {
    return { kind: 'usage', why: (e as Error).message };
  }
}
