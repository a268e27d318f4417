/**
 * The app factory: builds the fastify instance with every route, and wires the injected dependencies (store, file
 * store, clock, broker). Defaults are throw-away and embedded (SQLite temp file, in-memory blobs, system clock,
 * aedes on the configured port), so `build()` alone gives a working controller for tests and demos. What build()
 * creates, app.close() closes; injected dependencies stay owned by the caller.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { systemClock, type Clock } from './clock.js';
import { loadConfig, type Config, type ConfigInput } from './config.js';
import type { Ctx } from './context.js';
import { ctrlError } from './errors.js';
import { DiskFileStore, MemoryFileStore, type FileStore } from './files/file-store.js';
import { installErrorHandler } from './http/error-handler.js';
import { installGuard } from './auth/guard.js';
import { registerAuthRoutes } from './auth/routes.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { registerDeviceRoutes } from './devices/routes.js';
import { registerEventRoutes } from './events/routes.js';
import { registerFleetRoutes } from './fleet/routes.js';
import { registerStatsRoutes } from './events/stats-routes.js';
import { registerUi } from './ui.js';
import { openStore } from './store/index.js';
import { openSqliteStore } from './store/open-sqlite.js';
import type { Store } from './store/types.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded.js';
import { connectExternalBus } from './broker/external.js';
import { createProvisioner } from './broker/provisioner.js';
import type { Bus } from './broker/bus.js';
import { Ingest } from './ingest/ingest.js';
import { createMetrics, type Metrics } from './metrics.js';
import { registerJobs, type JobModels, type Jobs } from './jobs/index.js';
import { registryModels } from './jobs/registry-models.js';
import { Registry } from './registry/registry.js';
import { DownloadTokens } from './registry/download-token.js';
import { registerRegistryRoutes } from './registry/routes.js';
import { RolloutEngine } from './rollouts/engine.js';
import { registerRolloutRoutes } from './rollouts/routes.js';
import { RolloutStore } from './store/rollout-store.js';

export interface BuildOptions {
  /** A loaded config, or overrides applied on top of defaults (environment is NOT read unless `config` is given). */
  config?: Readonly<Config>;
  overrides?: ConfigInput;
  store?: Store;
  files?: FileStore;
  clock?: Clock;
  /** 'memory' (default without a config): throw-away store and blobs; 'configured': as the config says. */
  storage?: 'memory' | 'configured';
  logger?: FastifyServerOptions['logger'];
  /** Receives the one-time admin password when the first start creates the admin. */
  onBootstrap?: (creds: { username: string; password: string }) => void;
  /** What training jobs use of the model registry; defaults to the registry on this app's store. */
  jobModels?: JobModels;
}

export interface App extends FastifyInstance {
  ctx: Ctx;
  /** The embedded broker, or null when MQTT is disabled or an external broker is used. */
  broker: EmbeddedBroker | null;
  ingest: Ingest | null;
  metrics: Metrics;
  /** Training jobs: service (create/claim/complete…) and the trigger policy. */
  jobs: Jobs;
  /** The model registry (packages, lineage, eligibility, approval). */
  registry: Registry;
  /** The rollout engine, or null when MQTT or rollouts are disabled. */
  rollouts: RolloutEngine | null;
}

export async function build(opts: BuildOptions = {}): Promise<App> {
  const config = opts.config ?? loadConfig({ env: {}, overrides: opts.overrides ?? {} });
  const storage = opts.storage ?? (opts.config ? 'configured' : 'memory');
  const ownStore = !opts.store;
  const store =
    opts.store ??
    (storage === 'memory'
      ? await openSqliteStore({ path: ':memory:', busyTimeoutMs: config.db.busyTimeoutMs })
      : await openStore(config));
  const files = opts.files ?? (storage === 'memory' ? new MemoryFileStore() : new DiskFileStore(config.dataDir));

  const app = Fastify({
    logger: opts.logger ?? { level: config.logLevel },
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
  }) as unknown as App;
  try {
    const ctx: Ctx = { config, store, files, clock: opts.clock ?? systemClock, log: app.log };
    app.decorate('ctx', ctx);
    const metrics = createMetrics();
    app.decorate('metrics', metrics);
    let broker: EmbeddedBroker | null = null;
    let ingest: Ingest | null = null;
    let bus: Bus | null = null;
    let rollouts: RolloutEngine | null = null;
    let engineBus: Bus | null = null;
    const registry = new Registry(ctx);
    const tokens = new DownloadTokens(config.registry.urlSecret, config.registry.urlTtlS, ctx.clock);
    app.decorate('registry', registry);
    // Expired sessions are already refused on use; this only keeps the table small.
    const sweep = setInterval(() => {
      store.deleteExpiredSessions(ctx.clock.now()).catch((err: unknown) => app.log.warn({ err }, 'session sweep failed'));
    }, 3_600_000);
    sweep.unref();
    // One hook, explicit order: drain ingest (flushes scores), stop the broker, then close the store. Registered
    // before anything starts so a failure half-way through build() still releases what was opened.
    app.addHook('onClose', async () => {
      clearInterval(sweep);
      await rollouts?.stop();
      if (engineBus !== bus) await engineBus?.close();
      await ingest?.stop();
      await bus?.close();
      if (ownStore) await store.close();
    });
    if (config.mqtt.enabled && config.mqtt.mode === 'embedded') {
      broker = await startEmbeddedBroker(ctx, { host: config.mqtt.host, port: config.mqtt.port, wsPort: config.mqtt.wsPort });
      bus = broker;
    } else if (config.mqtt.enabled) {
      bus = await connectExternalBus(ctx, config.mqtt);
    }
    if (bus) {
      ingest = new Ingest(ctx, bus, metrics);
      await ingest.start();
      if (config.rollouts.enabled) {
        const started = ingest;
        // External broker: the engine gets its own client. Its plain subscriptions (scores, model reports) would
        // otherwise overlap ingest's shared ones on one client and be dispatched to ingest twice.
        engineBus = config.mqtt.mode === 'external' ? await connectExternalBus(ctx, config.mqtt) : bus;
        rollouts = new RolloutEngine(ctx, engineBus, registry, tokens, {
          tickMs: config.rollouts.tickMs,
          baseUrl: () => config.registry.publicUrl ?? localUrl(app, config),
          flushScores: () => started.flushScores(),
        });
        await rollouts.start();
      }
    }
    app.decorate('rollouts', rollouts);
    app.decorate('broker', broker);
    app.decorate('ingest', ingest);

    installErrorHandler(app);
    await app.register(helmet);
    await app.register(cookie);
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: () => ctrlError('LW_CTRL_RATE_LIMITED'),
    });
    if (config.http.docs) {
      await app.register(swagger, {
        openapi: { info: { title: 'linewatch controller', version: '0.1.0' } },
      });
      await app.register(swaggerUi, { routePrefix: '/docs' });
    }
    installGuard(app, ctx);

    app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
    registerAuthRoutes(app, ctx);
    const provisioner = await createProvisioner(ctx, broker);
    app.addHook('onClose', () => provisioner.close());
    registerDeviceRoutes(app, ctx, provisioner);
    registerEventRoutes(app, ctx);
    registerStatsRoutes(app, ctx);
    registerFleetRoutes(app, ctx, metrics);
    app.decorate('jobs', await registerJobs(app, ctx, opts.jobModels ?? registryModels(ctx, registry), { startPolicy: true }));
    await registerRegistryRoutes(app, ctx, registry, tokens, rollouts);
    registerRolloutRoutes(app, ctx, registry, rollouts, rollouts?.store ?? new RolloutStore(store));
    await registerUi(app);

    const boot = await bootstrapAdmin(ctx);
    if (boot) {
      if (opts.onBootstrap) opts.onBootstrap(boot);
      else app.log.warn({ username: boot.username }, 'created the first admin; its one-time password is printed by main');
    }
    await app.ready();
  } catch (e) {
    await app.close().catch(() => {});
    throw e;
  }
  return app;
}

/** Where agents reach this controller's HTTP when registry.publicUrl is unset: the address it listens on. */
function localUrl(app: FastifyInstance, config: Readonly<Config>): string {
  const addr = app.server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : config.http.port;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
