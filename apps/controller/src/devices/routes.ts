/**
 * Device provisioning (admins) and listing (scoped to the lines the user may see). The MQTT password is shown once
 * in the provisioning response and stored only as a hash. A device that the user may not see answers 404, like a
 * missing one, so ids on other lines cannot be probed. The broker learns about new and disabled devices through the
 * BrokerProvisioner (a no-op for the embedded broker, which reads the rows; dynamic security on Mosquitto).
 */
import type { FastifyRequest } from 'fastify';
import { devicePrefix } from '@linewatch/protocol';
import {
  DeviceScoresRoute,
  CreateDeviceRoute,
  DisableDeviceRoute,
  GetDeviceRoute,
  ListDevicesRoute,
  type DeviceView,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import type { DeviceRow } from '../store/types.js';
import { canSeeLine, requireAuth, visibleLines } from '../auth/guard.js';
import { hashToken, newSecret } from '../auth/password.js';
import { allowedClientIds } from '../broker/acl.js';
import { storeProvisioner, type BrokerProvisioner } from '../broker/provisioner.js';
import { registerDeviceAdminRoutes } from './admin-routes.js';

const HOUR = 3_600_000;
const MAX_RANGE = 7 * 24 * HOUR;

export const deviceView = (d: DeviceRow): DeviceView => ({
  id: d.id,
  name: d.name,
  site: d.site,
  line: d.line,
  createdAt: d.createdAt.toISOString(),
  disabled: d.disabledAt !== null,
});

export function registerDeviceRoutes(
  app: TypedApp,
  ctx: Ctx,
  broker: BrokerProvisioner = storeProvisioner(null),
): void {
  createDeviceRoute(app, ctx, broker);
  app.route({
    ...ListDevicesRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      return { devices: (await ctx.store.devices.list(visibleLines(user))).map(deviceView) };
    },
  });
  app.route({
    ...GetDeviceRoute,
    handler: async (req) => deviceView(await visibleDevice(ctx, req, req.params.id)),
  });
  deviceScoresRoute(app, ctx);
  disableDeviceRoute(app, ctx, broker);
  registerDeviceAdminRoutes(app, ctx, broker);
}

/** A device on a line the user may not see answers 404 like a missing one. */
async function visibleDevice(ctx: Ctx, req: FastifyRequest, id: string): Promise<DeviceRow> {
  const { user } = requireAuth(req);
  const d = await ctx.store.devices.find(id);
  if (!d || !canSeeLine(user, d.line)) throw ctrlError('LW_CTRL_NOT_FOUND', 'device not found');
  return d;
}

function createDeviceRoute(app: TypedApp, ctx: Ctx, broker: BrokerProvisioner): void {
  app.route({
    ...CreateDeviceRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const body = req.body;
      if (await ctx.store.devices.find(body.id))
        throw ctrlError('LW_CTRL_CONFLICT', `device ${body.id} already exists`);
      if (await ctx.store.devices.hasHistory(body.id))
        throw ctrlError('LW_CTRL_CONFLICT', `device id ${body.id} still has events of a deleted device`);
      const secret = newSecret();
      const device: DeviceRow = {
        ...body,
        site: body.site ?? 'default',
        credentialHash: hashToken(secret),
        createdAt: ctx.clock.now(),
        disabledAt: null,
      };
      // Broker first: the secret exists only now, and a row without broker credentials would be a device that can
      // never connect. If the row then fails, the broker entry is taken back.
      await broker.provision(device, secret);
      try {
        await ctx.store.devices.create(device);
      } catch (e) {
        await broker
          .remove(device.id)
          .catch((err: unknown) => req.log.error({ err, deviceId: device.id }, 'could not undo broker provisioning'));
        throw e;
      }
      req.log.info({ deviceId: device.id, line: device.line }, 'device provisioned');
      return reply.status(201).send({
        device: deviceView(device),
        credentials: {
          username: device.id,
          password: secret,
          clientId: allowedClientIds(device.id)[1] as string, // the agent's default client id
          topicPrefix: devicePrefix({ site: device.site, line: device.line, device: device.id }),
        },
      });
    },
  });
}

function deviceScoresRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...DeviceScoresRoute,
    handler: async (req) => {
      const d = await visibleDevice(ctx, req, req.params.id);
      const q = req.query;
      const to = q.to ? new Date(q.to) : ctx.clock.now();
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - HOUR);
      if (!(from < to) || to.getTime() - from.getTime() > MAX_RANGE) {
        throw ctrlError('LW_CTRL_VALIDATION', 'need from < to and a range of at most 7 days');
      }
      const rows = await ctx.store.scores.list(d.id, from, to);
      return {
        points: rows.map((r) => ({
          camera: r.camera,
          minute: r.minute.toISOString(),
          count: r.count,
          mean: r.count > 0 ? r.sum / r.count : 0,
          max: r.max,
          flagged: r.flagged,
        })),
      };
    },
  });
}

function disableDeviceRoute(app: TypedApp, ctx: Ctx, broker: BrokerProvisioner): void {
  app.route({
    ...DisableDeviceRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const id = req.params.id;
      const d = await ctx.store.devices.disable(id, ctx.clock.now());
      if (!d) throw ctrlError('LW_CTRL_NOT_FOUND', 'device not found');
      // The row first (the embedded broker checks disabledAt on every connect), then the broker, which also closes
      // the live session. If the broker fails the request fails; repeating it is safe (both steps are idempotent),
      // and the dynsec provisioner re-disables devices that are disabled in the store when the controller starts.
      await broker.disable(id);
      req.log.warn({ deviceId: id }, 'device disabled');
      return deviceView(d);
    },
  });
}
