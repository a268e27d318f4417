/**
 * Device administration beyond provisioning and disabling: re-key, enable, delete (contract: device-admin.ts in
 * @linewatch/protocol/http). Re-key follows provisioning's order — broker first, then the row — so the device is never
 * left with a secret only one of them knows; the live session with the old secret is closed.
 */
import { devicePrefix } from '@linewatch/protocol';
import { DeleteDeviceRoute, EnableDeviceRoute, RekeyDeviceRoute } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { hashToken, newSecret } from '../auth/password.js';
import { allowedClientIds } from '../broker/acl.js';
import type { BrokerProvisioner } from '../broker/provisioning.js';
import { deviceView } from './routes.js';

export function registerDeviceAdminRoutes(app: TypedApp, ctx: Ctx, broker: BrokerProvisioner): void {
  app.route({
    ...RekeyDeviceRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const d = await ctx.store.devices.find(req.params.id);
      if (!d) throw ctrlError('LW_CTRL_NOT_FOUND', 'device not found');
      const secret = newSecret();
      const device = { ...d, credentialHash: hashToken(secret) };
      await broker.provision(device, secret);
      await ctx.store.devices.setCredential(d.id, device.credentialHash);
      // Embedded broker: authentication reads the row, so only the open session must go (it reconnects with the
      // new secret or not at all). A disabled device stays disabled at the broker too.
      if (broker.kind === 'store' || d.disabledAt !== null) await broker.disable(d.id);
      req.log.warn({ deviceId: d.id }, 'device re-keyed');
      return {
        device: deviceView(device),
        credentials: {
          username: d.id,
          password: secret,
          clientId: allowedClientIds(d.id)[1] as string,
          topicPrefix: devicePrefix({ site: d.site, line: d.line, device: d.id }),
        },
      };
    },
  });
  app.route({
    ...EnableDeviceRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const d = await ctx.store.devices.enable(req.params.id);
      if (!d) throw ctrlError('LW_CTRL_NOT_FOUND', 'device not found');
      req.log.info({ deviceId: d.id }, 'device enabled');
      return deviceView(d);
    },
  });
  app.route({
    ...DeleteDeviceRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const id = req.params.id;
      if (!(await ctx.store.devices.find(id))) throw ctrlError('LW_CTRL_NOT_FOUND', 'device not found');
      // Broker first: a device the broker still accepts but the store no longer knows would be an unknown publisher.
      await broker.disable(id);
      await broker.remove(id);
      await ctx.store.devices.delete(id);
      req.log.warn({ deviceId: id }, 'device deleted');
      return reply.status(204).send(null);
    },
  });
}
