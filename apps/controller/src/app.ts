/**
 * The app factory: builds the fastify instance with every route, and wires the injected dependencies (store, file
 * store, clock, broker). Defaults are throw-away and embedded (SQLite temp file, in-memory blobs, system clock,
 * aedes on the configured port), so `build()` alone gives a working controller for tests and demos. What build()
 * creates, app.close() closes; injected dependencies stay owned by the caller.
 */
import { createServer as createHttpsServer } from 'node:https';
import Fastify, { type FastifyServerFactory, type FastifyServerOptions, type RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { systemClock, type Clock } from './clock.js';
import { loadConfig, type Config, type ConfigInput } from './config.js';
import { plaintextLinks, servesTls } from './config-rules.js';
import type { Ctx } from './context.js';
import { ctrlError } from './errors.js';
import { createCluster, intervalSingleton, Singletons, type Cluster } from './cluster/index.js';
import { MemoryFileStore, type FileStore } from './files/file-store.js';
import { createFileStore, packagePresigner } from './files/create-file-store.js';
import { installErrorHandler } from './http/error-handler.js';
import { installJsonParser } from './http/json-body.js';
import { echoRequestId, loggerOptions, requestIdOptions } from './http/logging.js';
import { registerReadiness } from './http/readiness.js';
import { helmetOptions } from './http/security-headers.js';
import type { TypedApp } from './http/typed-app.js';
import { installGuard } from './auth/guard.js';
import { registerAuthRoutes } from './auth/routes.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { registerDeviceRoutes } from './devices/routes.js';
import { LineConvergence } from './devices/converge.js';
import { setupEnrollment } from './enrollment/index.js';
import { registerUserAdminRoutes } from './auth/user-admin-routes.js';
import { registerEventRoutes } from './events/routes.js';
import { registerFleetRoutes } from './fleet/routes.js';
import { registerCalibration } from './calibration/routes.js';
import { registerDrift } from './drift/routes.js';
import { registerStatsRoutes } from './events/stats-routes.js';
import { registerClassRoutes } from './classes/routes.js';
import { registerUi } from './ui.js';
import { openStore } from './store/index.js';
import { openSqliteStore } from './store/open-sqlite.js';
import type { Store } from './store/store.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded.js';
import { connectExternalBus, type ExternalBusOptions } from './broker/external.js';
import { PeerProtocols, answeringEachPeerInItsForm } from './broker/peer-forms.js';
import { createProvisioner } from './broker/provisioner.js';
import type { Bus } from './broker/bus.js';
import { Ingest } from './ingest/ingest.js';
import { createMetrics, type Metrics } from './metrics.js';
import { countBlobErrors } from './metrics/blob-errors.js';
import { serveMetrics } from './metrics/serve.js';
import { registerJobs, type JobModels, type Jobs } from './jobs/index.js';
import { registryModels } from './jobs/registry-models.js';
import { Registry } from './registry/registry.js';
import { DownloadTokens } from './registry/download-token.js';
import { registerRegistryRoutes } from './registry/routes.js';
import { commandRunner, rolloutActions } from './rollouts/commands.js';
import { RolloutEngine } from './rollouts/engine.js';
import { registerRolloutRoutes } from './rollouts/routes.js';
import { registerLabelsIoRoutes } from './labels-io/routes.js';
import { externalBrokerTls, loadServerTls, type ServerTls } from './tls.js';

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
  /** The bootstrap admin's password must be changed at first sign-in (main); off for tests driving the API as it. */
  oneTimeAdminPassword?: boolean;
}

/** What build() adds to the fastify instance. */
export interface AppParts {
  ctx: Ctx;
  /** The embedded broker, or null when MQTT is disabled or an external broker is used. */
  broker: EmbeddedBroker | null;
  ingest: Ingest | null;
  metrics: Metrics;
  /** Training jobs: service (create/claim/complete…) and the trigger policy. */
  jobs: Jobs;
  /** The model registry (packages, lineage, eligibility, approval). */
  registry: Registry;
  /** The rollout engine, or null when MQTT or rollouts are disabled. It runs only while this replica leads. */
  rollouts: RolloutEngine | null;
  /** Leader election among replicas: whether this one runs the singletons (rollouts, convergence, policy, sweep). */
  cluster: Cluster;
  /** Port of the own /metrics listener (metrics.port), or null when /metrics is served on the HTTP port. */
  metricsPort: number | null;
}

export interface App extends TypedApp, AppParts {}

/** What the single onClose hook releases; filled in as build() starts things, so a half-built app still closes. */
interface Running {
  bus: Bus | null;
  engineBus: Bus | null;
  ingest: Ingest | null;
  rollouts: RolloutEngine | null;
}

type Mqtt = Pick<AppParts, 'broker' | 'ingest' | 'rollouts'>;

export async function build(opts: BuildOptions = {}): Promise<App> {
  const config = opts.config ?? loadConfig({ env: {}, overrides: opts.overrides ?? {} });
  // Before anything opens: a bad certificate must not leave a store or broker behind.
  const serverTls = loadServerTls(config);
  const storage = opts.storage ?? (opts.config ? 'configured' : 'memory');
  const store = opts.store ?? (await openOwnStore(storage, config));
  // Throw-away storage replaces the disk store only: a test that configures S3 gets S3.
  const throwAway = storage === 'memory' && config.files.kind === 'disk';
  const files = opts.files ?? (throwAway ? new MemoryFileStore() : createFileStore(config));

  const app = Fastify({
    logger: loggerOptions(config, opts.logger),
    ...requestIdOptions,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    ...(serverTls && { serverFactory: httpsFactory(serverTls) }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  try {
    const metrics = createMetrics();
    const counted = countBlobErrors(files, metrics.blobErrors);
    const ctx: Ctx = { config, store, files: counted, clock: opts.clock ?? systemClock, log: app.log };
    const running = closeInOrder(app, ctx, !opts.store);
    warnPlaintext(app, config);
    const { cluster, singletons } = clusterOf(app, ctx);
    const registry = new Registry(ctx);
    const presign = packagePresigner(config, files);
    const tokens = new DownloadTokens(config.registry.urlSecret, config.registry.urlTtlS, ctx.clock, presign);
    const uncountedSince = () => cluster.takenFrom?.renewedAt ?? null;
    const fence = () => cluster.assertLeader();
    const s = { metrics, registry, tokens, singletons, fence, uncountedSince, cluster };
    const mqtt = await startMqtt(app, ctx, running, { ...s, serverTls });
    await installHttp(app, ctx);
    const jobs = await registerRoutes(app, ctx, { ...s, mqtt, jobModels: opts.jobModels });
    registerCalibration(app, ctx, () => running.bus);
    registerDrift(app, ctx, metrics);
    const metricsPort = await serveMetrics(app, ctx, metrics, serverTls);
    registerReadiness(app, ctx, { buses: () => [running.bus, running.engineBus] });
    // Object.assign, not decorate(): decorate() cannot change the instance's static type, and the app that tests and
    // main use must be an App without a cast. Nothing reads these properties before the app is ready.
    const built: App = Object.assign(app, { ctx, metrics, metricsPort, registry, jobs, cluster, ...mqtt });
    await bootstrap(app, ctx, opts);
    await app.ready();
    await cluster.start();
    return built;
  } catch (e) {
    await app.close().catch(() => {});
    throw e;
  }
}

/**
 * HTTPS through a server factory rather than fastify's `https` option, so the instance keeps the one TypedApp type
 * (an https.Server is an http.Server to every route and hook).
 */
function httpsFactory(tls: ServerTls): FastifyServerFactory<RawServerDefault> {
  return (handler) => createHttpsServer({ ...tls }, handler);
}

/** loadConfig refused plaintext beyond loopback unless tls.allowPlaintext: say so at every start. */
function warnPlaintext(app: TypedApp, config: Readonly<Config>): void {
  const links = plaintextLinks(config);
  if (links.length > 0) {
    app.log.warn(
      { links },
      'serving plaintext beyond loopback because tls.allowPlaintext is set; use TLS in the field',
    );
  }
}

function openOwnStore(storage: 'memory' | 'configured', config: Readonly<Config>): Promise<Store> {
  return storage === 'memory'
    ? openSqliteStore({ path: ':memory:', busyTimeoutMs: config.db.busyTimeoutMs })
    : openStore(config);
}

/**
 * One hook, explicit order: drain ingest (flushes scores), stop the broker, then close the store. Registered before
 * anything starts so a failure half-way through build() still releases what was opened.
 */
function closeInOrder(app: TypedApp, ctx: Ctx, ownStore: boolean): Running {
  const running: Running = { bus: null, engineBus: null, ingest: null, rollouts: null };
  app.addHook('onClose', async () => {
    await running.rollouts?.stop();
    if (running.engineBus !== running.bus) await running.engineBus?.close();
    await running.ingest?.stop();
    await running.bus?.close();
    if (ownStore) await ctx.store.close();
  });
  return running;
}

interface Services {
  metrics: Metrics;
  registry: Registry;
  tokens: DownloadTokens;
  /** What runs only on the leader replica. */
  singletons: Singletons;
  /** Throws unless this replica still leads: checked before every desiredModel publication. */
  fence: () => Promise<void>;
  /** After a takeover: the previous leader's last renewal (its engine counted frames at most until about then). */
  uncountedSince: () => Date | null;
  /** Whether this replica leads now, and its id (rollout actions: commands.ts). */
  cluster: Pick<Cluster, 'isLeader' | 'replicaId'>;
}

/** The leader lease and its singletons; the singletons stop (and the lease is released) before anything closes. */
function clusterOf(app: TypedApp, ctx: Ctx): { cluster: Cluster; singletons: Singletons } {
  const singletons = new Singletons(app.log);
  // Expired sessions are already refused on use; this only keeps the table small.
  const sweep = () => ctx.store.sessions.deleteExpired(ctx.clock.now());
  singletons.add(intervalSingleton('session-sweep', 3_600_000, sweep, app.log));
  const cluster = createCluster(ctx, singletons);
  app.addHook('preClose', () => cluster.stop());
  return { cluster, singletons };
}

/** The broker (embedded or external), ingest and the rollout engine; all null when MQTT is disabled. */
async function startMqtt(
  app: TypedApp,
  ctx: Ctx,
  running: Running,
  s: Services & { serverTls: ServerTls | null },
): Promise<Mqtt> {
  const { config } = ctx;
  if (!config.mqtt.enabled) return { broker: null, ingest: null, rollouts: null };
  let broker: EmbeddedBroker | null = null;
  let bus: Bus;
  if (config.mqtt.mode === 'embedded') {
    broker = await startEmbeddedBroker(ctx, {
      host: config.mqtt.host,
      port: config.mqtt.port,
      wsPort: config.mqtt.wsPort,
      tls: s.serverTls,
    });
    bus = broker;
  } else {
    bus = await connectExternalBus(ctx, externalBusOptions(config));
  }
  // Protocol-1 agents get their commands as envelopes (broker/peer-forms.ts); one memory for every bus.
  const peers = new PeerProtocols();
  bus = answeringEachPeerInItsForm(bus, peers);
  running.bus = bus;
  const ingest = new Ingest(ctx, bus, s.metrics);
  running.ingest = ingest;
  await ingest.start();
  const rollouts = config.rollouts.enabled
    ? await startRollouts(app, ctx, running, { bus, ingest, peers, ...s })
    : null;
  return { broker, ingest, rollouts };
}

function externalBusOptions(config: Readonly<Config>): ExternalBusOptions {
  return { ...config.mqtt, tls: externalBrokerTls(config.mqtt) };
}

async function startRollouts(
  app: TypedApp,
  ctx: Ctx,
  running: Running,
  s: Services & { bus: Bus; ingest: Ingest; peers: PeerProtocols },
): Promise<RolloutEngine> {
  const { config } = ctx;
  // External broker: the engine gets its own client. Its plain subscriptions (scores, model reports) would
  // otherwise overlap ingest's shared ones on one client and be dispatched to ingest twice.
  const engineBus =
    config.mqtt.mode === 'external'
      ? answeringEachPeerInItsForm(await connectExternalBus(ctx, externalBusOptions(config)), s.peers)
      : s.bus;
  running.engineBus = engineBus;
  const rollouts = new RolloutEngine(ctx, engineBus, s.registry, s.tokens, {
    tickMs: config.rollouts.tickMs,
    baseUrl: () => config.registry.publicUrl ?? localUrl(app, config),
    flushScores: () => s.ingest.flushScores(),
    fence: s.fence,
    uncountedSince: s.uncountedSince,
  });
  running.rollouts = rollouts;
  const converge = new LineConvergence(ctx, engineBus, s.registry, s.tokens, () => agentBaseUrl(app, config), s.fence);
  s.singletons.add({ name: 'rollouts', start: () => rollouts.start(), stop: () => rollouts.stop() });
  s.singletons.add({ name: 'line-convergence', start: () => converge.start(), stop: () => converge.stop() });
  // Rollout actions other replicas took (handed over through the database), applied by this engine while it leads.
  s.singletons.add(commandRunner(ctx, rollouts, s.cluster.replicaId));
  return rollouts;
}

/** Error mapping, body parsing, security headers, cookies, rate limiting, OpenAPI docs and the auth guard. */
async function installHttp(app: TypedApp, ctx: Ctx): Promise<void> {
  installErrorHandler(app);
  echoRequestId(app);
  installJsonParser(app);
  await app.register(helmet, helmetOptions(ctx.config));
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: () => ctrlError('LW_CTRL_RATE_LIMITED'),
  });
  if (ctx.config.http.docs) {
    await app.register(swagger, {
      openapi: { info: { title: 'linewatch controller', version: '0.1.0' } },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }
  installGuard(app, ctx);
}

async function registerRoutes(
  app: TypedApp,
  ctx: Ctx,
  s: Services & { mqtt: Mqtt; jobModels: JobModels | undefined },
): Promise<Jobs> {
  const { broker, rollouts } = s.mqtt;
  registerAuthRoutes(app, ctx);
  const provisioner = await createProvisioner(ctx, broker);
  app.addHook('onClose', () => provisioner.close());
  registerDeviceRoutes(app, ctx, provisioner);
  const enrollment = { provisioner, registry: s.registry, tokens: s.tokens, brokerPort: broker?.port ?? null };
  setupEnrollment(app, ctx, { ...enrollment, baseUrl: () => agentBaseUrl(app, ctx.config) });
  registerUserAdminRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerStatsRoutes(app, ctx);
  registerClassRoutes(app, ctx);
  registerFleetRoutes(app, ctx, s.metrics);
  const jobs = await registerJobs(app, ctx, s.jobModels ?? registryModels(ctx, s.registry), { startPolicy: false });
  // Job-lease expiry runs in the policy's tick: one replica at a time.
  s.singletons.add({ name: 'training-policy', start: () => jobs.policy.start(), stop: () => jobs.policy.stop() });
  const actions = rolloutActions(ctx, rollouts, () => s.cluster.isLeader);
  await registerRegistryRoutes(app, ctx, s.registry, s.tokens, actions);
  registerRolloutRoutes(app, ctx, s.registry, actions, ctx.store.rollouts);
  await registerLabelsIoRoutes(app, ctx);
  await registerUi(app);
  return jobs;
}

async function bootstrap(app: TypedApp, ctx: Ctx, opts: BuildOptions): Promise<void> {
  const boot = await bootstrapAdmin(ctx, opts.oneTimeAdminPassword ?? false);
  if (!boot) return;
  if (opts.onBootstrap) opts.onBootstrap(boot);
  else app.log.warn({ username: boot.username }, 'created the first admin; its one-time password is printed by main');
}

const agentBaseUrl = (app: TypedApp, config: Readonly<Config>): string =>
  config.registry.publicUrl ?? localUrl(app, config);

/** Where agents reach this controller's HTTP when registry.publicUrl is unset: the address it listens on. */
function localUrl(app: TypedApp, config: Readonly<Config>): string {
  const addr = app.server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : config.http.port;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  return `${servesTls(config) ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
