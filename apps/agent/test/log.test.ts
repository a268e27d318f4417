/**
 * Agent logs: pino JSON lines with the base fields the controller and the trainer worker share (service, version,
 * pid, hostname) plus this device's site/line/device; the configured level filters; LW_AGENT_LOG_LEVEL sets it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { parseConfig } from '../src/config.js';
import { isAgentError } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import { AGENT_VERSION } from '../src/runtime.js';
import { WAITING_NOTE } from '../src/waiting.js';
import { aedesBroker } from './helpers/brokers.js';
import { fixture, type Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const identity = { site: 'plant-1', line: 'line-a', device: 'edge-7' };
type Line = Record<string, unknown> & { level: number; msg: string };

let fx: Fixture;
before(async () => {
  fx = await fixture();
});
after(() => fx.cleanup());

function capture(): { lines: Line[]; destination: { write(s: string): void } } {
  const lines: Line[] = [];
  return { lines, destination: { write: (s) => void lines.push(JSON.parse(s) as Line) } };
}

test('every line carries service, version, pid, hostname and the device identity; details are fields', () => {
  const cap = capture();
  const log = createLogger('info', { identity, destination: cap.destination });
  log('warn', 'camera stalled', { code: 'LW_AGENT_SOURCE_STALLED', camera: 'cam-1' });
  log('info', 'plain');
  assert.equal(cap.lines.length, 2);
  for (const l of cap.lines) {
    assert.equal(l['service'], 'agent');
    assert.equal(l['version'], AGENT_VERSION);
    assert.equal(l['pid'], process.pid);
    assert.equal(typeof l['hostname'], 'string');
    assert.deepEqual([l['site'], l['line'], l['device']], ['plant-1', 'line-a', 'edge-7']);
    assert.equal(typeof l['time'], 'number');
  }
  assert.deepEqual(
    cap.lines.map((l) => [l.level, l.msg, l['code'] ?? null]),
    [
      [40, 'camera stalled', 'LW_AGENT_SOURCE_STALLED'],
      [30, 'plain', null],
    ],
  );
  assert.equal(cap.lines[0]!['camera'], 'cam-1');
});

test('the level filters: at info a debug line is dropped; at error a warn line too; silent writes nothing', () => {
  for (const [min, expected] of [
    ['info', ['info', 'warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ] as const) {
    const cap = capture();
    const log = createLogger(min, { identity, destination: cap.destination });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) log(level, level);
    assert.deepEqual(
      cap.lines.map((l) => l.msg),
      expected,
      min,
    );
  }
});

test('LW_AGENT_LOG_LEVEL overrides the file; a level outside the list is refused with LW_AGENT_CONFIG_INVALID', () => {
  const raw = {
    ...identity,
    broker: { url: 'mqtt://127.0.0.1:1' },
    model: { trustedKeyPath: '/k.pem' },
    dataDir: '/d',
  };
  assert.equal(parseConfig(raw).logLevel, 'info');
  assert.equal(parseConfig({ ...raw, logLevel: 'warn' }, { LW_AGENT_LOG_LEVEL: 'debug' }).logLevel, 'debug');
  assert.throws(
    () => parseConfig(raw, { LW_AGENT_LOG_LEVEL: 'loud' }),
    (e: unknown) => isAgentError(e) && e.code === 'LW_AGENT_CONFIG_INVALID' && /logLevel/.test(e.message),
  );
});

/** `run` with no model until `until` holds (it waits for the controller's model meanwhile); its stderr, parsed. */
async function runWaiting(
  brokerUrl: string,
  env: Record<string, string>,
  until: (err: string) => boolean,
): Promise<Line[]> {
  const configPath = join(fx.dir, 'log-run.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      ...identity,
      broker: { url: brokerUrl },
      model: { trustedKeyPath: fx.keys.publicKeyPath },
      dataDir: join(fx.dir, 'log-run-data'),
      logLevel: 'debug',
    }),
  );
  const args = ['--conditions=@linewatch/source', '--import', 'tsx', MAIN, 'run', '--config', configPath];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await waitFor('the agent waiting', () => until(err), 20_000);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, err);
  return err
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

test(
  'the running agent writes only such JSON lines on stderr, at the level from the file or LW_AGENT_LOG_LEVEL',
  { timeout: 60_000 },
  async (t) => {
    const broker = await aedesBroker();
    await broker.start();
    const ctrl = new TestController(broker.url, identity);
    await ctrl.start();
    t.after(async () => {
      await ctrl.stop();
      await broker.stop();
    });
    const connected = (err: string): boolean => /connected to .*waiting for a model/.test(err);
    const debug = await runWaiting(broker.url, {}, connected);
    assert.ok(
      debug.some((l) => l.level < 40),
      "at the file's debug level, lines below warn appear",
    );
    // Connected (the controller saw its waiting status), so the info line was written or dropped by now.
    ctrl.statuses.length = 0;
    const warn = await runWaiting(broker.url, { LW_AGENT_LOG_LEVEL: 'warn' }, () =>
      ctrl.statuses.some((st) => st.note === WAITING_NOTE),
    );
    assert.ok(!warn.some((l) => connected(l.msg)));
    for (const l of [...debug, ...warn]) {
      assert.equal(l['service'], 'agent', JSON.stringify(l));
      assert.equal(l['device'], 'edge-7');
      assert.equal(l['line'], 'line-a');
    }
    assert.ok(
      warn.every((l) => l.level >= 40),
      "the environment's warn drops them",
    );
    assert.ok(warn.some((l) => l['code'] === 'LW_AGENT_WAITING_FOR_MODEL'));
  },
);
