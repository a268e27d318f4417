/** Entry point: load and validate config (file + env), build the app, listen, and shut down cleanly on signals. */
import { build, type App } from './app.js';
import { announceBootstrap, forgetChangedPassword, initialPasswordPath } from './auth/initial-password.js';
import { EXIT, USAGE, parseCli } from './cli.js';
import { loadConfig, type Config } from './config.js';
import { servesTls } from './config-rules.js';
import { isControllerError } from './errors.js';
import { CONTROLLER_VERSION } from './http/logging.js';

function fatal(err: unknown): never {
  // Start-up refusals (bad config, schema drift, …) are expected operator errors: one coded line, no stack.
  if (isControllerError(err)) process.stderr.write(`${err.code}: ${err.message}\n`);
  else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(EXIT.failed);
}

async function start(configFile: string | undefined): Promise<{ app: App; config: Readonly<Config> }> {
  const config = loadConfig(configFile === undefined ? {} : { file: configFile });
  const passwordFile = initialPasswordPath(config.dataDir);
  const app = await build({
    config,
    oneTimeAdminPassword: true,
    onBootstrap: (creds) => announceBootstrap(passwordFile, creds, process.stdout),
  });
  await forgetChangedPassword(app.ctx.store, passwordFile);
  // fastify derives the scheme of its start line from its own `https` option, which a server factory bypasses.
  const scheme = servesTls(config) ? 'https' : 'http';
  await app.listen({
    host: config.http.host,
    port: config.http.port,
    listenTextResolver: (address) => `Server listening at ${address.replace(/^https?:/, `${scheme}:`)}`,
  });
  if (app.broker) {
    const { port, wsPort, tls } = app.broker;
    app.log.info({ host: config.mqtt.host, port, wsPort, tls }, `mqtt broker listening (${tls ? 'mqtts' : 'mqtt'})`);
  }
  return { app, config };
}

const cli = parseCli(process.argv.slice(2));
if (cli.kind === 'help') {
  process.stdout.write(USAGE);
  process.exit(EXIT.ok);
}
if (cli.kind === 'version') {
  process.stdout.write(`${CONTROLLER_VERSION}\n`);
  process.exit(EXIT.ok);
}
if (cli.kind === 'usage') {
  process.stderr.write(`${cli.why}\n\n${USAGE}`);
  process.exit(EXIT.usage);
}

// Everything the controller creates (database, WAL, blobs, keys, the initial password file) is owner-only.
process.umask(0o077);
const { app } = await start(cli.configFile).catch(fatal);

// SIGHUP too: a closed terminal must not leave the broker and store half-open.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    app.log.info({ sig }, 'shutting down');
    app.close().then(
      () => process.exit(EXIT.ok),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(EXIT.failed);
      },
    );
  });
}
