/**
 * Device provisioning (admins) and listing (scoped to the lines the user may see). The MQTT password is shown once
 * in the provisioning response and stored only as a hash. A device that the user may not see answers 404, like a
 * missing one, so ids on other lines cannot be probed.
 */
import type { FastifyInstance } from 'fastify';
import { devicePrefix } from '@linewatch/protocol';
import {
  CreateDeviceRoute,
  GetDeviceRoute,
  ListDevicesRoute,
  type CreateDeviceBody,
  type DeviceView,
  type IdParams,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { DeviceRow } from '../store/types.js';
import { canSeeLine, requireAuth, visibleLines } from '../auth/guard.js';
import { hashToken, newSecret } from '../auth/password.js';

export const deviceView = (d: DeviceRow): DeviceView => ({
  id: d.id,
  name: d.name,
  site: d.site,
  line: d.line,
  createdAt: d.createdAt.toISOString(),
  disabled: d.disabledAt !== null,
});

export function registerDeviceRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.route({
    ...CreateDeviceRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const body = req.body as CreateDeviceBody;
      if (await ctx.store.findDevice(body.id)) throw ctrlError('LW_CTRL_CONFLICT', `device ${body.id} already exists`);
      const secret = newSecret();
      const device: DeviceRow = { ...body, site: body.site ?? 'default', credentialHash: hashToken(secret), createdAt: ctx.clock.now(), disabledAt: null };
      await ctx.store.createDevice(device);
      req.log.info({ deviceId: device.id, line: device.line }, 'device provisioned');
      return reply.status(201).send({
        device: deviceView(device),
        credentials: {
          username: device.id,
          password: secret,
          clientId: device.id,
          topicPrefix: devicePrefix({ site: device.site, line: device.line, device: device.id }),
        },
      });
    },
  });

  app.route({
    ...ListDevicesRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      return { devices: (await ctx.store.listDevices(visibleLines(user))).map(deviceView) };
    },
  });

  app.route({
    ...GetDeviceRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const d = await ctx.store.findDevice((req.params as IdParams).id);
      if (!d || !canSeeLine(user, d.line)) throw ctrlError('LW_CTRL_NOT_FOUND', 'device not found');
      return deviceView(d);
    },
  });
}
