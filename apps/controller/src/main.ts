/** Entry point: load and validate config (file + env), build the app, listen, and shut down cleanly on signals. */
import { build } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const app = await build({
  config,
  onBootstrap: ({ username, password }) => {
    // Printed once, to stdout only, so it does not end up in shipped log files.
    process.stdout.write(`\nFirst start: created user "${username}" with one-time password: ${password}\n\n`);
  },
});
await app.listen({ host: config.http.host, port: config.http.port });
if (app.broker) {
  app.log.info({ host: config.mqtt.host, port: app.broker.port, wsPort: app.broker.wsPort }, 'mqtt broker listening');
}

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
