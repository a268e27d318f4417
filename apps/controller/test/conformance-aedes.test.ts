/** The broker conformance suite against the embedded aedes broker (in-process, TCP on a loopback port 0). */
import { describeBrokerConformance } from './helpers/broker-conformance.js';
import { testApp } from './helpers/http.js';

describeBrokerConformance('embedded aedes', async () => ({
  async controller(opts = {}) {
    const { app, adminPassword } = await testApp({
      overrides: { mqtt: { enabled: true, port: 0 } },
      ...(opts.store && { store: opts.store }),
    });
    const broker = app.broker!;
    return { app, adminPassword, port: broker.port, observer: broker, controllerBus: broker, close: () => app.close() };
  },
  async close() {},
}));
