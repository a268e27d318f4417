/**
 * Desired-state commands: a retained desiredModel per device (QoS 1), carrying a fresh signed download link.
 * Retained, so a device that reconnects later still converges to the last decision — which is why a rollback
 * replaces the candidate's message rather than deleting it.
 */
import { toPublication, type DesiredModelMessage } from '@linewatch/protocol';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { DownloadTokens } from '../registry/download-token.js';
import type { Registry } from '../registry/registry.js';
import type { RolloutPolicy } from './policy.js';

export interface DesiredSpec {
  rolloutId: string;
  deviceId: string;
  version: string;
  rollback: boolean;
  shadow: RolloutPolicy['shadow'];
}

export class DesiredPublisher {
  constructor(
    private readonly ctx: Ctx,
    private readonly bus: Bus,
    private readonly registry: Registry,
    private readonly tokens: DownloadTokens,
    private readonly baseUrl: () => string,
    /** Throws unless this replica still holds the leader lease (cluster/): a deposed leader publishes nothing. */
    private readonly fence: () => Promise<void> = async () => {},
  ) {}

  async publish(s: DesiredSpec): Promise<DesiredModelMessage> {
    const model = await this.registry.get(s.version);
    if (!model) throw ctrlError('LW_CTRL_NOT_FOUND', `model version ${s.version} is not in the registry`);
    const device = await this.ctx.store.devices.find(s.deviceId);
    if (!device) throw ctrlError('LW_CTRL_NOT_FOUND', `no device ${s.deviceId}`);
    const msg: DesiredModelMessage = {
      device: s.deviceId,
      rolloutId: s.rolloutId,
      version: s.version,
      packageUrl: await this.tokens.packageUrl(this.baseUrl(), s.version, model.sha256, s.deviceId),
      sha256: model.sha256,
      signatureScheme: 'ed25519',
      signature: model.signature,
      rollback: s.rollback,
      ...(s.shadow && !s.rollback && { shadow: s.shadow }),
      issuedAt: this.ctx.clock.now().getTime(),
    };
    await this.fence();
    await this.bus.publish(
      toPublication('desiredModel', { site: device.site, line: device.line, device: device.id }, msg),
    );
    return msg;
  }
}
