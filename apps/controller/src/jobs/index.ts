/** Wires training jobs into the app: service (on the store's jobs area), admin + worker routes, and the trigger policy. */
import type { Ctx } from '../context.js';
import type { TypedApp } from '../http/typed-app.js';
import type { JobModels } from './models.js';
import { JobPolicy } from './policy.js';
import { registerJobRoutes } from './routes.js';
import { JobService } from './service.js';
import { registerWorkerRoutes } from './worker-routes.js';

export type { JobModels, CandidateVersion } from './models.js';
export { JobService } from './service.js';
export { JobPolicy } from './policy.js';

export interface Jobs {
  service: JobService;
  policy: JobPolicy;
}

/** Registers the routes; the policy timer starts only with `startPolicy` (tests drive `policy.tick()` by hand). */
export async function registerJobs(
  app: TypedApp,
  ctx: Ctx,
  models: JobModels,
  opts: { startPolicy: boolean },
): Promise<Jobs> {
  const service = new JobService(ctx, ctx.store.jobs, models);
  const policy = new JobPolicy(ctx, service);
  registerJobRoutes(app, ctx, service);
  await registerWorkerRoutes(app, ctx, service);
  app.addHook('onClose', () => policy.stop());
  if (opts.startPolicy) policy.start();
  return { service, policy };
}
