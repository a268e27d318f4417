/** MQTT test helpers: provision devices straight into the store and connect real mqtt.js clients. */
import { createHash, randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Store } from '../../src/store/store.js';

export interface TestDevice {
  id: string;
  site: string;
  line: string;
  secret: string;
}

export async function provision(store: Store, id: string, line = 'line-1', site = 'plant-a'): Promise<TestDevice> {
  const secret = randomBytes(32).toString('base64url');
  await store.devices.create({
    id,
    name: id,
    site,
    line,
    credentialHash: createHash('sha256').update(secret).digest('hex'),
    createdAt: new Date(),
    disabledAt: null,
  });
  return { id, site, line, secret };
}

export function prefix(d: TestDevice): string {
  return `linewatch/v1/${d.site}/${d.line}/${d.id}`;
}

export async function connect(
  port: number,
  opts: { clientId: string; username?: string; password?: string; will?: mqtt.IClientOptions['will'] },
): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    ...opts,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: 4,
  });
}

export function connectDevice(
  port: number,
  d: TestDevice,
  extra: { will?: mqtt.IClientOptions['will'] } = {},
): Promise<MqttClient> {
  return connect(port, { clientId: d.id, username: d.id, password: d.secret, ...extra });
}

/** Resolves when the predicate holds, polling; rejects after the timeout (tests stay bounded). */
export async function waitFor(pred: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function closed(c: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!c.connected) return resolve();
    c.once('close', () => resolve());
  });
}
