/**
 * Real brokers for the conformance suite: aedes in-process and a throw-away Debian mosquitto process, both on a
 * loopback port that stays the same across stop()/start() so an outage can be simulated and ended.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';

export interface TestBroker {
  readonly name: string;
  readonly url: string;
  start(): Promise<void>;
  /** Hard stop: connections are cut without DISCONNECT (wills fire on a real broker; here the broker just dies). */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function aedesBroker(): Promise<TestBroker> {
  const port = await freePort();
  let server: Server | undefined;
  let broker: Aedes | undefined;
  const sockets = new Set<Socket>();
  return {
    name: 'aedes',
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      broker = new Aedes();
      await broker.listen();
      const b = broker;
      server = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        b.handle(s);
      });
      await new Promise<void>((r, j) => {
        server!.once('error', j);
        server!.listen(port, '127.0.0.1', () => r());
      });
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
      server = undefined;
      broker = undefined;
    },
  };
}

export function hasMosquitto(): boolean {
  return spawnSync('sh', ['-c', 'command -v mosquitto || test -x /usr/sbin/mosquitto']).status === 0;
}

export async function mosquittoBroker(): Promise<TestBroker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lw-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_queued_messages 100000\n`,
  );
  const bin = spawnSync('sh', ['-c', 'command -v mosquitto']).stdout.toString().trim() || '/usr/sbin/mosquitto';
  let child: ChildProcess | undefined;
  return {
    name: 'mosquitto',
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      child = spawn(bin, ['-c', conf], { stdio: 'ignore' });
      await waitForPort(port, 5000);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (c && c.exitCode === null) {
        await new Promise<void>((r) => {
          c.once('exit', () => r());
          c.kill('SIGKILL');
        });
      }
      if (!c) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Removes the mosquitto temp dir once the suite is done. */
export async function disposeBroker(b: TestBroker): Promise<void> {
  await b.stop();
  await b.stop();
}
