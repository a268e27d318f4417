/** The bin's contract: --help on the bin and each command, usage errors exit 2, and `run` with no model waits. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { parseCommand } from '../src/cli/usage.js';
import { WAITING_NOTE } from '../src/waiting.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let fx: Fixture;
let broker: TestBroker;
before(async () => {
  fx = await fixture();
  broker = await aedesBroker();
  await broker.start();
});
after(async () => {
  await broker.stop();
  fx.cleanup();
});

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finish(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

test('--help on the bin and every command exits 0 and lists the exit codes', async () => {
  for (const args of [['--help'], ['run', '--help'], ['enroll', '--help'], ['check', '--help']]) {
    const r = await finish(start(args));
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    assert.match(r.out, /linewatch-agent/);
    assert.match(r.out, /Exit codes:\n {2}0 {2}success/);
  }
  const v = await finish(start(['--version']));
  assert.equal(v.code, 0);
  assert.match(v.out, /^\d+\.\d+\.\d+\n$/);
});

test('usage errors exit 2 with LW_AGENT_USAGE; a bad config exits 3', async () => {
  for (const args of [
    ['frobnicate', 'x'],
    ['enroll', '--token', 'abc'],
    ['check', '--bogus'],
  ]) {
    const r = await finish(start(args));
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /LW_AGENT_USAGE/);
  }
  const bad = join(fx.dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ site: 'plant-1' }));
  const r = await finish(start(['run', '--config', bad]));
  assert.equal(r.code, 3);
  assert.match(r.err, /LW_AGENT_CONFIG_INVALID/);
});

test('the original invocation `linewatch-agent config.json` still means run', () => {
  assert.deepEqual(parseCommand(['agent.json']), { kind: 'run', config: 'agent.json' });
  assert.deepEqual(parseCommand([]), { kind: 'run', config: undefined });
});

test(
  'run with no model waits degraded for the controller, and SIGTERM stops it with exit 0',
  { timeout: 30_000 },
  async () => {
    const address = { site: 'plant-1', line: 'line-a', device: 'edge-cli' };
    const ctrl = new TestController(broker.url, address);
    await ctrl.start();
    const configPath = join(fx.dir, 'waiting.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        ...address,
        broker: { url: broker.url },
        model: { trustedKeyPath: fx.keys.publicKeyPath },
        dataDir: join(fx.dir, 'waiting-data'),
        healthIntervalS: 1,
      }),
    );
    const child = start(['run', '--config', configPath]);
    const done = finish(child);
    try {
      await waitFor('waiting status', () => ctrl.statuses.some((s) => s.note === WAITING_NOTE), 15_000);
      assert.equal(ctrl.statuses.at(-1)?.state, 'degraded');
    } finally {
      child.kill('SIGTERM');
      const r = await done;
      await ctrl.stop();
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /LW_AGENT_WAITING_FOR_MODEL/);
    }
  },
);
