/** A controller with the embedded broker, fed by simulated agents that report health: what /metrics tests scrape. */
import type { App } from '../../src/app.js';
import type { ConfigInput } from '../../src/config.js';
import { testApp } from './http.js';
import { images } from './messages.js';
import { provision } from './mqtt.js';
import { SimAgent } from './sim-agent.js';

export interface FedController {
  app: App;
  agents: SimAgent[];
  close(): Promise<void>;
}

/** One agent per entry of `fps` (devices dev-0, dev-1, … on line-1), online with a health report stored. */
export async function fedController(fps: number[], overrides: ConfigInput = {}): Promise<FedController> {
  const { app } = await testApp({ overrides: { ...overrides, mqtt: { enabled: true, port: 0 } } });
  const agents: SimAgent[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(agents.map((a) => a.stop()));
    await app.close();
  };
  try {
    const imgs = await images();
    for (const [i, f] of fps.entries()) {
      const device = await provision(app.ctx.store, `dev-${i}`, 'line-1', 'plant-a');
      const agent = new SimAgent({
        mqttUrl: `mqtt://127.0.0.1:${app.broker!.port}`,
        ...{ device, trustedKeys: [], version: 'v1', flagRate: () => 0, fps: f, images: imgs },
      });
      agents.push(agent);
      await agent.start();
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      const fleet = await app.ctx.store.fleet.list();
      if (fleet.filter((r) => r.online && r.health !== null).length >= fps.length) break;
      if (Date.now() > deadline) throw new Error('simulated agents did not come online');
      await new Promise((r) => setTimeout(r, 50));
    }
    return { app, agents, close };
  } catch (e) {
    await close();
    throw e;
  }
}
