/**
 * N controller replicas on loopback, the way a plant runs them: one throw-away PostgreSQL, one throw-away Mosquitto
 * (ingest split by an MQTT 5 shared subscription), one S3 server (s3rver) for every blob, and N real controller
 * processes (`src/main.ts`) on their own 127.0.0.1 ports, so a test can kill -9 one of them.
 *
 * What must be equal across replicas (else a request that lands on the other replica fails):
 * - db.url: users, sessions (cookie = token whose hash is a row), devices, events, rollouts, jobs, the leader lease;
 * - files (s3 bucket + prefix): frames, maps, masks, packages are content-addressed refs any replica can read;
 * - registry.urlSecret: a package download link minted by one replica must verify on another (random per process
 *   when unset: links would only work on the replica that minted them);
 * - registry.trustedKeys: the package signatures every replica accepts;
 * - jobs.workerToken: a trainer worker may claim on one replica and heartbeat on another;
 * - mqtt.url + mqtt.sharedGroup: one group, so each event goes to exactly one replica.
 * Per replica: dataDir (scratch only: nothing in it is shared state with s3 + PostgreSQL) and the HTTP port.
 * Not shared, by design: the login rate limiter (per process) and registry.publicUrl (null here: each replica
 * mints links to its own address; behind a load balancer set it to the balancer's URL).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../src/auth/password.js';
import { openPostgresStore } from '../../src/store/open-postgres.js';
import type { Store } from '../../src/store/store.js';
import { freePort, startController, stopController, type ControllerProcess } from './controller-process.js';
import { MOSQUITTO, MOSQUITTO_SKIP, startMosquitto, type TestMosquitto } from './mosquitto.js';
import { PG_SKIP_REASON, findPgBin, startPgCluster, type PgCluster } from './pg-cluster.js';
import type { S3StoreConfig } from '../../src/files/s3-config.js';
import { startS3 } from './s3.js';
import { startS3Process } from './s3-process.js';

/** Why a replica test cannot run here (a missing system tool), or false. CI installs both. */
export const REPLICAS_SKIP: string | false = !findPgBin() ? PG_SKIP_REASON : !MOSQUITTO ? MOSQUITTO_SKIP : false;

export interface Replica {
  name: string;
  httpPort: number;
  base: string;
  proc: ControllerProcess;
  alive: boolean;
}

export interface ReplicaOptions {
  count: number;
  /** The replicas' base environment (the caller passes process.env: helpers do not read it). */
  env: NodeJS.ProcessEnv;
  /** Config merged over the shared replica config (e.g. rollouts.tickMs, cluster.*). */
  config?: Record<string, unknown>;
  /** Ed25519 public keys (PEM) the registry trusts. */
  trustedKeys?: string[];
  /** Run the S3 server in its own process (the bench: its load generator keeps its event loop to itself). */
  s3InOwnProcess?: boolean;
  /** Called with the migrated store before any replica starts (provision devices, users). */
  seed?: (store: Store) => Promise<void>;
}

export interface ReplicaSet {
  replicas: Replica[];
  mqttUrl: string;
  mqttPort: number;
  /** The shared secrets every replica got (tests sign download links with urlSecret). */
  secrets: { urlSecret: string; workerToken: string };
  admin: { username: string; password: string };
  /** A store on the shared database, for counting rows the replicas wrote. */
  store: Store;
  /** Direct SQL on the shared database (counts the Store interface does not offer). */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  kill(r: Replica): Promise<void>;
  /** Starts one more replica on the same shared parts (e.g. after a kill). */
  add(name: string): Promise<Replica>;
  close(): Promise<void>;
}

/** Waits until /readyz says 200 (falls back to /healthz on a controller without /readyz). */
export async function waitReady(base: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const code = await fetch(`${base}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (code === 200) return;
    if (
      code === 404 &&
      (await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      return;
    if (Date.now() - start > timeoutMs) throw new Error(`${base} not ready within ${timeoutMs} ms (last ${code})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function seedAdmin(store: Store): Promise<{ username: string; password: string }> {
  // A user in the shared database before any replica starts: no replica bootstraps (or prints) an admin.
  const admin = { username: 'admin', password: `pw-${randomBytes(12).toString('hex')}` };
  await store.users.create({
    id: randomUUID(),
    username: admin.username,
    passwordHash: await hashPassword(admin.password),
    role: 'admin',
    lines: [],
    createdAt: new Date(),
    mustChangePassword: false,
  });
  return admin;
}

interface Shared {
  pg: PgCluster;
  mosq: TestMosquitto;
  s3: { config: S3StoreConfig; close(): Promise<void> };
  dbUrl: string;
}

async function startShared(opts: ReplicaOptions): Promise<Shared> {
  const done: Array<() => Promise<void>> = [];
  try {
    const pg = (await startPgCluster())!;
    done.push(() => pg.stop());
    const mosq = (await startMosquitto())!;
    done.push(() => mosq.stop());
    const s3 = opts.s3InOwnProcess ? await startS3Process(opts.env) : await startS3();
    done.push(() => s3.close());
    return { pg, mosq, s3, dbUrl: await pg.createDatabase('replicas') };
  } catch (e) {
    for (const stop of done.reverse()) await stop().catch(() => {});
    throw e;
  }
}

/** The config file every replica gets (the parts that must be equal, see the top of this file). */
function replicaConfig(shared: Shared, secrets: ReplicaSet['secrets'], opts: ReplicaOptions): Record<string, unknown> {
  return {
    logLevel: 'warn',
    db: { provider: 'postgresql', url: shared.dbUrl },
    mqtt: { mode: 'external', url: shared.mosq.url, sharedGroup: 'lw-controllers' },
    files: { kind: 's3', s3: shared.s3.config },
    registry: { urlSecret: secrets.urlSecret, trustedKeys: opts.trustedKeys ?? [] },
    jobs: { workerToken: secrets.workerToken },
    ingest: { flushIntervalMs: 200, ackMaxDelayMs: 5 },
    ...opts.config,
  };
}

/** One statement on its own connection (tests count rows; no pool to leak). */
async function queryOnce<T>(url: string, sql: string, params: unknown[]): Promise<T[]> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Starts the shared parts and `count` replicas (one after the other: the first one started leads). */
export async function startReplicas(opts: ReplicaOptions): Promise<ReplicaSet> {
  const shared = await startShared(opts);
  const dirs: string[] = [];
  const replicas: Replica[] = [];
  let store: Awaited<ReturnType<typeof openPostgresStore>> | null = null;
  const secrets = { urlSecret: randomBytes(24).toString('hex'), workerToken: randomBytes(24).toString('hex') };
  const config = replicaConfig(shared, secrets, opts);
  const add = async (name: string): Promise<Replica> => {
    const dataDir = mkdtempSync(join(tmpdir(), `lw-replica-${name}-`));
    dirs.push(dataDir);
    const httpPort = await freePort();
    const spec = { env: opts.env, dataDir, httpPort, mqttPort: shared.mosq.port, config };
    const proc = await startController(spec, 90_000);
    const r: Replica = { name, httpPort, base: `http://127.0.0.1:${httpPort}`, proc, alive: true };
    void proc.exited.then(() => (r.alive = false));
    replicas.push(r);
    await waitReady(r.base);
    return r;
  };
  const close = async () => {
    for (const r of replicas) await stopController(r.proc, 'SIGKILL').catch(() => {});
    await store?.close().catch(() => {});
    await shared.s3.close().catch(() => {});
    await shared.mosq.stop().catch(() => {});
    await shared.pg.stop().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    // Migrate and seed once, before any replica starts: replicas then find the schema applied.
    store = await openPostgresStore({ url: shared.dbUrl });
    const admin = await seedAdmin(store);
    await opts.seed?.(store);
    for (let i = 0; i < opts.count; i++) await add(String.fromCharCode(65 + i));
    return {
      replicas,
      mqttUrl: shared.mosq.url,
      mqttPort: shared.mosq.port,
      secrets,
      admin,
      store,
      query: (sql, params = []) => queryOnce(shared.dbUrl, sql, params),
      async kill(r) {
        r.proc.child.kill('SIGKILL');
        await r.proc.exited;
        r.alive = false;
      },
      add,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A signed-in session over real HTTP: a cookie from one replica works on every replica (sessions are rows). */
export interface HttpSession {
  headers: { cookie: string; 'x-csrf-token': string };
}

export async function httpLogin(base: string, who: { username: string; password: string }): Promise<HttpSession> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(who),
  });
  if (res.status !== 200) throw new Error(`login at ${base}: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('lw_session='));
  if (!cookie) throw new Error('no session cookie');
  const body = (await res.json()) as { csrfToken: string };
  return { headers: { cookie: cookie.split(';')[0]!, 'x-csrf-token': body.csrfToken } };
}

/** The leader leases in the shared database (one row per singleton group). */
export interface LeaseView {
  name: string;
  holder: string;
  fence: number;
  expiresAt: Date;
}

export function leases(set: ReplicaSet): Promise<LeaseView[]> {
  return set.query<LeaseView>('SELECT "name", "holder", "fence", "expiresAt" FROM "Lease" ORDER BY "name"');
}

/** Waits until every lease is held, unexpired, by a holder not in `not`; returns the holders (bounded). */
export async function untilLeasesHeld(set: ReplicaSet, not: Set<string>, timeoutMs: number): Promise<LeaseView[]> {
  const start = Date.now();
  for (;;) {
    const rows = await leases(set).catch(() => []);
    const now = Date.now();
    if (rows.length > 0 && rows.every((l) => !not.has(l.holder) && l.expiresAt.getTime() > now)) return rows;
    if (Date.now() - start > timeoutMs)
      throw new Error(`leases not taken over within ${timeoutMs} ms: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
