/**
 * The provisioner interface, on its own so the implementations (provisioner.ts: store/none; dynsec.ts: Mosquitto)
 * and the factory that picks one import it without importing each other.
 */
import type { DeviceRow } from '../store/types.js';

export type ProvisioningKind = 'store' | 'mosquitto-dynsec' | 'none';

export interface BrokerProvisioner {
  readonly kind: ProvisioningKind;
  /**
   * Makes the broker accept this device with this secret and its ACLs. Called before the device row is committed
   * (the secret exists only now); replaces whatever stale entry the broker still holds under the same id.
   */
  provision(device: DeviceRow, secret: string): Promise<void>;
  /** Called after the row is marked disabled: refuse new connections and close the live session. Idempotent. */
  disable(deviceId: string): Promise<void>;
  /** Forgets the device (undoes a provisioning whose row could not be committed). Idempotent. */
  remove(deviceId: string): Promise<void>;
  close(): Promise<void>;
}
