/**
 * A throw-away Mosquitto on a free loopback port (no persistence) for external-broker tests and the bench: anonymous
 * by default, or secured by the dynamic-security plugin (`dynsec`) with two preset users — the controller (the
 * role the README documents for production) and a test-only observer that may subscribe to `#`.
 * Returns null only when the mosquitto binary is not installed. stop() kills it (SIGKILL after 5 s) and removes its
 * directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? null;
export const MOSQUITTO_SKIP = 'mosquitto not installed (apt-get install mosquitto)';

// A test process that dies with brokers still running must not leave them behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Debian ships the plugin with the broker (multiarch library directory). */
export function dynsecPlugin(): string | null {
  for (const dir of [
    '/usr/lib',
    ...readdirSync('/usr/lib')
      .filter((d) => d.endsWith('-linux-gnu'))
      .map((d) => `/usr/lib/${d}`),
  ]) {
    const p = join(dir, 'mosquitto_dynamic_security.so');
    if (existsSync(p)) return p;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' });
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

export interface Credentials {
  username: string;
  password: string;
}

export interface TestMosquitto {
  url: string;
  port: number;
  /** With dynsec: the controller's and the observer's credentials. */
  controller: Credentials | null;
  observer: Credentials | null;
  stop(): Promise<void>;
}

/** A dynsec client entry as `mosquitto_ctrl dynsec init` writes it: PBKDF2-SHA512, 101 iterations, 12-byte salt. */
function dynsecClient(c: Credentials, rolename: string): Record<string, unknown> {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(c.password, salt, 101, 64, 'sha512');
  return {
    username: c.username,
    roles: [{ rolename }],
    password: hash.toString('base64'),
    salt: salt.toString('base64'),
    iterations: 101,
  };
}

/** The controller's role, as in the README: dynsec administration plus publish/subscribe under linewatch/. */
export const CONTROLLER_ROLE_ACLS = [
  { acltype: 'publishClientSend', topic: '$CONTROL/dynamic-security/#', allow: true },
  { acltype: 'publishClientReceive', topic: '$CONTROL/dynamic-security/#', allow: true },
  { acltype: 'subscribeLiteral', topic: '$CONTROL/dynamic-security/v1/response', allow: true },
  { acltype: 'publishClientSend', topic: 'linewatch/#', allow: true },
  { acltype: 'subscribePattern', topic: 'linewatch/#', allow: true },
  // Replicas with mqtt.sharedGroup: Mosquitto checks the filter including its `$share/<group>/` prefix.
  { acltype: 'subscribePattern', topic: '$share/+/linewatch/#', allow: true },
];

function dynsecConfig(controller: Credentials, observer: Credentials): string {
  return JSON.stringify({
    defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
    clients: [dynsecClient(controller, 'linewatch-controller'), dynsecClient(observer, 'test-observer')],
    groups: [],
    roles: [
      { rolename: 'linewatch-controller', acls: CONTROLLER_ROLE_ACLS },
      { rolename: 'test-observer', acls: [{ acltype: 'subscribePattern', topic: '#', allow: true }] },
    ],
  });
}

/**
 * `tls`: the listener speaks MQTT over TLS with this certificate and key (url is then mqtts://). `port`: listen there
 * (a broker restarted on the port of one that was stopped); default a free one.
 */
export async function startMosquitto(
  opts: { dynsec?: boolean; tls?: { certPath: string; keyPath: string }; port?: number } = {},
): Promise<TestMosquitto | null> {
  if (!MOSQUITTO) return null;
  const dir = mkdtempSync(join(tmpdir(), 'lw-mosq-'));
  const port = opts.port ?? (await freePort());
  const conf = join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, 'persistence false', 'log_dest stderr', 'log_type error'];
  if (opts.tls) lines.push(`certfile ${opts.tls.certPath}`, `keyfile ${opts.tls.keyPath}`);
  let controller: Credentials | null = null;
  let observer: Credentials | null = null;
  if (opts.dynsec) {
    const plugin = dynsecPlugin();
    if (!plugin) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('mosquitto is installed but its dynamic-security plugin is not');
    }
    controller = { username: 'linewatch-controller', password: randomBytes(16).toString('hex') };
    observer = { username: 'test-observer', password: randomBytes(16).toString('hex') };
    writeFileSync(join(dir, 'dynsec.json'), dynsecConfig(controller, observer));
    // Stay the current user (as root mosquitto would switch to `mosquitto` and could not save dynsec.json here).
    lines.push(
      'allow_anonymous false',
      `plugin ${plugin}`,
      `plugin_opt_config_file ${join(dir, 'dynsec.json')}`,
      `user ${userInfo().username}`,
    );
  } else {
    lines.push('allow_anonymous true');
    // As root mosquitto would switch to `mosquitto`, which cannot read a test's key in its private temp dir.
    if (opts.tls) lines.push(`user ${userInfo().username}`);
  }
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = Date.now();
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() - started > 10_000) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    controller,
    observer,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(hard);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
