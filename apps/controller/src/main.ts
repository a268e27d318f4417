/** Entry point: load and validate config (file + env), build the app, listen, and shut down cleanly on signals. */
import { build, type App } from './app.js';
import { loadConfig, type Config } from './config.js';
import { servesTls } from './config-rules.js';
import { isControllerError } from './errors.js';

function fatal(err: unknown): never {
  // Start-up refusals (bad config, schema drift, …) are expected operator errors: one coded line, no stack.
  if (isControllerError(err)) process.stderr.write(`${err.code}: ${err.message}\n`);
  else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

async function start(): Promise<{ app: App; config: Readonly<Config> }> {
  const config = loadConfig();
  const app = await build({
    config,
    onBootstrap: ({ username, password }) => {
      // Printed once, to stdout only, so it does not end up in shipped log files. Change it via /api/auth/password.
      process.stdout.write(`\nFirst start: created user "${username}" with one-time password: ${password}\n\n`);
    },
  });
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

const { app } = await start().catch(fatal);

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    app.log.info({ sig }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
