#!/usr/bin/env node
/**
 * The `linewatch-agent` bin: `run` (default; `linewatch-agent config.json` still works), `enroll`, `check`, `--help`.
 * Runs on plain Node from dist/ (the bin) and from src/ through tsx (tests, `npm start`). Exit codes: cli/usage.ts.
 * `run` stops cleanly on SIGINT/SIGTERM; a second signal exits at once (everything that matters is on disk already).
 */
import { AGENT_VERSION } from './agent.js';
import { EXIT, exitCodeFor, parseCommand } from './cli/usage.js';
import type { Command } from './cli/usage.js';
import { cliDefaults, loadConfig } from './config.js';
import { isAgentError, reasonOf } from './errors.js';
import { createLogger } from './log.js';
import { buildWhenModel } from './waiting.js';

async function run(configPath: string | undefined): Promise<void> {
  const config = loadConfig(configPath ?? cliDefaults().configPath);
  const log = createLogger(config.logLevel, { identity: config });
  const abort = new AbortController();
  let stopping = false;
  let stop = (): void => abort.abort();
  const onSignal = (): void => {
    if (stopping) process.exit(EXIT.failure);
    stopping = true;
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let agent;
  try {
    agent = await buildWhenModel({ config, log, signal: abort.signal });
  } catch (e) {
    if (stopping) process.exit(EXIT.ok); // stopped while waiting for a model
    throw e;
  }
  const started = agent;
  stop = () => void started.stop().then(() => process.exit(EXIT.ok));
  if (stopping) return stop();
  agent.start();
}

async function enrollCommand(cmd: Extract<Command, { kind: 'enroll' }>): Promise<void> {
  const defaults = cliDefaults();
  const configPath = cmd.config ?? defaults.configPath;
  // enroll and check load on demand: `run`, the long-lived command, starts without their modules.
  const { enroll } = await import('./enroll/enroll.js');
  const r = await enroll({
    controller: cmd.controller,
    token: cmd.token,
    configPath,
    stateDir: cmd.state ?? defaults.stateDir ?? 'agent-data',
    ...(cmd.ca ? { caPath: cmd.ca } : {}),
    ...(cmd.providers ? { providers: cmd.providers } : {}),
  });
  const c = r.config;
  const out = [
    `enrolled ${c.device} on ${c.site}/${c.line}`,
    `  config  ${configPath} (mode 0600)`,
    `  state   ${c.dataDir}`,
    `  broker  ${c.broker.url}`,
    r.model
      ? `  model   ${r.model} installed`
      : r.modelProblem
        ? `  model   not installed (${r.modelProblem}); 'run' fetches it from the controller`
        : `  model   none live on ${c.line} yet; 'run' waits for the controller's`,
    `next: linewatch-agent check --config ${configPath}; linewatch-agent run --config ${configPath}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<number | undefined> {
  const cmd = parseCommand(process.argv.slice(2));
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(`${cmd.text}\n`);
      return EXIT.ok;
    case 'version':
      process.stdout.write(`${AGENT_VERSION}\n`);
      return EXIT.ok;
    case 'enroll':
      await enrollCommand(cmd);
      return EXIT.ok;
    case 'check': {
      const { runCheck } = await import('./check/check.js');
      const config = loadConfig(cmd.config ?? cliDefaults().configPath);
      const ok = await runCheck(config, cmd, (l) => process.stdout.write(`${l}\n`));
      return ok ? EXIT.ok : EXIT.checkFailed;
    }
    case 'run':
      await run(cmd.config);
      return undefined; // runs until a signal
  }
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (e: unknown) => {
    const code = isAgentError(e) ? e.code : undefined;
    createLogger('error')('error', reasonOf(e), { code });
    process.exit(exitCodeFor(code));
  },
);
