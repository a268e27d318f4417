/** The CLI's commands, options, help texts and exit codes (one table: --help and the README say the same). */
import { parseArgs } from 'node:util';
import { AgentError } from '../errors.js';
import type { AgentErrorCode } from '../errors.js';

export const EXIT = {
  ok: 0,
  /** The agent stopped on an error at run time, or something unexpected failed. */
  failure: 1,
  /** Unknown command or option, or a required option missing. */
  usage: 2,
  /** The config (or a file it names: keys, CA, certificates) is invalid or unreadable. */
  config: 3,
  /** `check`: at least one check failed. */
  checkFailed: 4,
  /** `enroll`: the controller refused the token (unknown, used, expired). */
  enrollRefused: 5,
  /** `enroll`: the controller is unreachable or its certificate does not verify against the CA. */
  enrollConnection: 6,
} as const;

export const EXIT_CODES_TEXT = `Exit codes:
  0  success (run: stopped cleanly on SIGINT/SIGTERM)
  1  failure at run time, or an unexpected error
  2  usage: unknown command or option, or a required option missing
  3  configuration invalid or unreadable (or a file it names: keys, CA, certificates)
  4  check: at least one check failed (each printed with its LW_AGENT_CHECK_* code)
  5  enroll: the controller refused the token (LW_CTRL_ENROLL_TOKEN_UNKNOWN / _USED / _EXPIRED)
  6  enroll: the controller is unreachable, or its certificate does not verify against the CA`;

const CONFIG_OPT = '  --config FILE   agent config (JSON; default $LW_AGENT_CONFIG, else ./agent.json)';

export const HELP = {
  main: `linewatch-agent — line-side agent: cameras → ONNX anomaly model → MQTT

Usage:
  linewatch-agent run [--config FILE]      run the agent (also: linewatch-agent FILE)
  linewatch-agent enroll --controller URL --token T [--ca FILE] [--config FILE] [--state DIR]
  linewatch-agent check [--config FILE]    probe cameras, broker, TLS and the model; writes one JPEG per camera
  linewatch-agent COMMAND --help           help for one command
  linewatch-agent --version

${EXIT_CODES_TEXT}`,
  run: `linewatch-agent run [--config FILE]

Runs the agent until SIGINT/SIGTERM (a second signal exits at once). With no model installed it connects, reports
'degraded' (LW_AGENT_WAITING_FOR_MODEL) and waits for the controller's model.

${CONFIG_OPT}

${EXIT_CODES_TEXT}`,
  enroll: `linewatch-agent enroll --controller URL --token T [--ca FILE] [--config FILE] [--state DIR] [--providers LIST]

Trades a one-time enrollment token (created by an admin on the controller's Devices page) for this device's
credentials, broker URL, the controller's CA and the trusted model-signing keys; writes the config (mode 0600) and
the state folder, installs the line's live model if there is one, and exits 0. Then: linewatch-agent run.

  --controller URL  the controller's base URL, e.g. https://controller.plant-1:8443
  --token T         the enrollment token (single use, expires)
  --ca FILE         PEM of the CA that signed the controller's certificate (default: the system's trusted CAs)
${CONFIG_OPT}; an existing file keeps its cameras and settings
  --state DIR       state folder: models, outbox, CA, keys (default $LW_AGENT_DATA_DIR, else ./agent-data)
  --providers LIST  execution providers for a new config, e.g. cuda,cpu (default cpu)

${EXIT_CODES_TEXT}`,
  check: `linewatch-agent check [--config FILE] [--out DIR] [--timeout-ms N]

Validates the config, then probes each camera through the same source code 'run' uses (RTSP, MJPEG, V4L2, video
file, folder, synthetic): grabs frames, writes the first as DIR/<camera>.jpg, prints its size and the measured fps.
Then connects to the broker (with its TLS settings) and opens the installed model on the configured providers.
Each failure is printed with a code that says what to fix.

${CONFIG_OPT}
  --out DIR         where the frames go (default: the current folder)
  --timeout-ms N    how long each camera may take to deliver (default 15000)

${EXIT_CODES_TEXT}`,
} as const;

export type Command =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly config: string | undefined }
  | {
      readonly kind: 'enroll';
      readonly controller: string;
      readonly token: string;
      readonly ca: string | undefined;
      readonly config: string | undefined;
      readonly state: string | undefined;
      readonly providers: string[] | undefined;
    }
  | { readonly kind: 'check'; readonly config: string | undefined; readonly out: string; readonly timeoutMs: number };

function usage(message: string): AgentError {
  const code: AgentErrorCode = 'LW_AGENT_USAGE';
  return new AgentError(code, `${message} (see linewatch-agent --help)`);
}

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>): Record<string, unknown> {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, unknown>;
  } catch (e) {
    throw usage(e instanceof Error ? e.message : String(e));
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function parseEnroll(rest: string[]): Command {
  const v = parse(rest, {
    controller: { type: 'string' },
    token: { type: 'string' },
    ca: { type: 'string' },
    config: { type: 'string' },
    state: { type: 'string' },
    providers: { type: 'string' },
  });
  if (v['help']) return { kind: 'help', text: HELP.enroll };
  const controller = str(v['controller']);
  const token = str(v['token']);
  if (!controller || !/^https?:\/\//.test(controller)) throw usage('enroll needs --controller https://host:port');
  if (!token) throw usage('enroll needs --token');
  const providers = str(v['providers'])
    ?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return {
    kind: 'enroll',
    controller,
    token,
    ca: str(v['ca']),
    config: str(v['config']),
    state: str(v['state']),
    providers,
  };
}

function parseCheck(rest: string[]): Command {
  const v = parse(rest, { config: { type: 'string' }, out: { type: 'string' }, 'timeout-ms': { type: 'string' } });
  if (v['help']) return { kind: 'help', text: HELP.check };
  const timeoutMs = Number(str(v['timeout-ms']) ?? 15_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw usage('--timeout-ms must be an integer ≥ 100');
  return { kind: 'check', config: str(v['config']), out: str(v['out']) ?? '.', timeoutMs };
}

/** argv without node and the script. */
export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'run', config: undefined };
  if (first === '--help' || first === '-h' || first === 'help') return { kind: 'help', text: HELP.main };
  if (first === '--version' || first === '-v') return { kind: 'version' };
  if (first === 'run') {
    const v = parse(rest, { config: { type: 'string' } });
    return v['help'] ? { kind: 'help', text: HELP.run } : { kind: 'run', config: str(v['config']) };
  }
  if (first === 'enroll') return parseEnroll(rest);
  if (first === 'check') return parseCheck(rest);
  // The original invocation: `linewatch-agent config.json`.
  if (!first.startsWith('-') && rest.length === 0) return { kind: 'run', config: first };
  throw usage(`unknown command "${first}"`);
}

/** The exit code for an error that ended a command. */
export function exitCodeFor(code: string | undefined): number {
  switch (code) {
    case 'LW_AGENT_USAGE':
      return EXIT.usage;
    case 'LW_AGENT_CONFIG_INVALID':
    case 'LW_AGENT_CONFIG_UNREADABLE':
    case 'LW_AGENT_TLS_FILE':
      return EXIT.config;
    case 'LW_AGENT_CHECK_FAILED':
      return EXIT.checkFailed;
    case 'LW_AGENT_ENROLL_REFUSED':
    case 'LW_AGENT_ENROLL_INVALID':
      return EXIT.enrollRefused;
    case 'LW_AGENT_ENROLL_TLS':
    case 'LW_AGENT_ENROLL_UNREACHABLE':
      return EXIT.enrollConnection;
    default:
      return EXIT.failure;
  }
}
