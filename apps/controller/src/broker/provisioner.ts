/**
 * How the broker learns about devices, behind one interface so the device routes do not care where the broker runs:
 * - `store` (embedded aedes): the broker authenticates against the device rows itself, so provisioning is the row;
 *   disabling only has to close a live session.
 * - `mosquitto-dynsec` (external Mosquitto 2 with the dynamic-security plugin): each device becomes a dynsec client
 *   (password, bound client id) with its own role holding the ACLs from broker/acl.ts. See broker/dynsec.ts.
 * - `none` (external broker managed by hand): nothing is pushed; the operator mirrors the rules on the broker.
 */
import type { Ctx } from '../context.js';
import type { EmbeddedBroker } from './embedded.js';
import { connectDynsecProvisioner } from './dynsec.js';
import type { BrokerProvisioner } from './provisioning.js';

export type { BrokerProvisioner, ProvisioningKind } from './provisioning.js';

/** Embedded aedes (or MQTT off): authentication reads the device rows, so only live sessions need handling. */
export function storeProvisioner(broker: EmbeddedBroker | null): BrokerProvisioner {
  return {
    kind: 'store',
    async provision() {},
    async disable(deviceId) {
      broker?.disconnect(deviceId);
    },
    async remove(deviceId) {
      broker?.disconnect(deviceId);
    },
    async close() {},
  };
}

/** External broker whose users and ACLs are managed outside linewatch. */
export function manualProvisioner(ctx: Ctx): BrokerProvisioner {
  const remind = (deviceId: string, what: string): void =>
    ctx.log.warn({ deviceId }, `mqtt.provisioning is none: ${what} this device on the external broker by hand`);
  return {
    kind: 'none',
    async provision(device) {
      remind(device.id, 'add (credentials and ACLs)');
    },
    async disable(deviceId) {
      remind(deviceId, 'disable');
    },
    async remove() {},
    async close() {},
  };
}

/** The provisioner the config asks for (`mqtt.provisioning`, with `auto` = what the broker mode implies). */
export async function createProvisioner(ctx: Ctx, broker: EmbeddedBroker | null): Promise<BrokerProvisioner> {
  const { mqtt } = ctx.config;
  const kind = mqtt.provisioning === 'auto' ? (mqtt.mode === 'embedded' ? 'store' : 'none') : mqtt.provisioning;
  if (!mqtt.enabled || kind === 'store') return storeProvisioner(broker);
  if (kind === 'none') return manualProvisioner(ctx);
  const p = await connectDynsecProvisioner(ctx, {
    url: mqtt.url,
    username: mqtt.username,
    password: mqtt.password,
    timeoutMs: mqtt.provisioningTimeoutMs,
  });
  try {
    await p.reconcile(await ctx.store.devices.list());
  } catch (e) {
    await p.close();
    throw e;
  }
  return p;
}
