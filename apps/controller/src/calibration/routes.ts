/** Calibration routes (issue #20): any user who sees the line reads; admins (line engineers) approve and restore. */
import {
  ApproveThresholdRoute,
  GetProposalRoute,
  ListCalibrationCamerasRoute,
  ListThresholdRevisionsRoute,
  RestoreThresholdRoute,
} from '@linewatch/protocol/http';
import { requireAuth } from '../auth/guard.js';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';
import type { TypedApp } from '../http/typed-app.js';
import { Calibration } from './service.js';

export function registerCalibration(app: TypedApp, ctx: Ctx, bus: () => Bus | null): Calibration {
  const cal = new Calibration(ctx, bus);
  app.route({
    ...ListCalibrationCamerasRoute,
    handler: async (req) => ({ cameras: await cal.cameras(requireAuth(req).user) }),
  });
  app.route({
    ...GetProposalRoute,
    handler: async (req) => {
      const { deviceId, camera } = req.params;
      return cal.proposal(requireAuth(req).user, deviceId, camera, req.query);
    },
  });
  app.route({
    ...ListThresholdRevisionsRoute,
    handler: async (req) => {
      const { deviceId, camera } = req.params;
      return { revisions: await cal.revisions(requireAuth(req).user, deviceId, camera) };
    },
  });
  app.route({
    ...ApproveThresholdRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const { deviceId, camera } = req.params;
      const view = await cal.approve(requireAuth(req).user, deviceId, camera, req.body);
      reply.code(201);
      return view;
    },
  });
  app.route({
    ...RestoreThresholdRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const { deviceId, camera, revision } = req.params;
      const view = await cal.restore(requireAuth(req).user, deviceId, camera, revision, req.body.reason);
      reply.code(201);
      return view;
    },
  });
  // After a restart the embedded broker has lost its retained thresholds: publish the newest revisions again.
  app.addHook('onReady', async () => {
    await cal.republishAll().catch((err: unknown) => ctx.log.warn({ err }, 'threshold revisions not republished'));
  });
  return cal;
}
