/**
 * Entry point: `tsx src/main.ts [config.json]` (or $LW_AGENT_CONFIG). Stops cleanly on SIGINT/SIGTERM; a second
 * signal exits at once (everything that matters is on disk already).
 */
import { build } from './agent.js';
import { loadConfig } from './config.js';
import { isAgentError, reasonOf } from './errors.js';

async function main(): Promise<void> {
  const config = loadConfig(process.argv[2]);
  const agent = await build({ config });
  agent.start();
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    void agent.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'error', msg: reasonOf(e), code: isAgentError(e) ? e.code : undefined })}\n`,
  );
  process.exit(1);
});
