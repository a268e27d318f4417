/** mqtts with CA / client certificate / key files against a throw-away mosquitto TLS listener. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from '../src/agent.js';
import { freePort, hasMosquitto } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';

const usable = hasMosquitto() && spawnSync('openssl', ['version']).status === 0;
let fx: Fixture;
let mosq: ChildProcess | undefined;
let plainPort = 0;
let tlsPort = 0;

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.toString()}`);
}

function issue(cwd: string, name: string, cn: string, ext: string): void {
  openssl(cwd, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  ]);
  writeFileSync(join(cwd, `${name}.ext`), ext);
  openssl(cwd, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  ]);
}

before(async () => {
  fx = await fixture();
  if (!usable) return;
  const d = fx.dir;
  openssl(d, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=lw-test-ca',
  ]);
  issue(d, 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\n');
  issue(d, 'client', 'edge-1', 'extendedKeyUsage=clientAuth\n');
  plainPort = await freePort();
  tlsPort = await freePort();
  const conf = join(d, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      // As root, mosquitto drops to user "mosquitto", which cannot read keys in our 0700 temp dir.
      'user root',
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      'log_dest none',
      `listener ${plainPort} 127.0.0.1`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${join(d, 'ca.pem')}`,
      `certfile ${join(d, 'server.pem')}`,
      `keyfile ${join(d, 'server.key')}`,
      'require_certificate true',
      '',
    ].join('\n'),
  );
  mosq = spawn(
    spawnSync('sh', ['-c', 'command -v mosquitto']).stdout.toString().trim() || '/usr/sbin/mosquitto',
    ['-c', conf],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 500));
});

after(async () => {
  if (mosq && mosq.exitCode === null) {
    await new Promise<void>((r) => {
      mosq!.once('exit', () => r());
      mosq!.kill('SIGKILL');
    });
  }
  fx.cleanup();
});

test(
  'agent connects over mqtts with CA, client certificate and key',
  { skip: !usable && 'mosquitto or openssl not installed' },
  async () => {
    const ctrl = new TestController(`mqtt://127.0.0.1:${plainPort}`, {
      site: 'plant-1',
      line: 'line-a',
      device: 'edge-1',
    });
    await ctrl.start();
    const d = fx.dir;
    const agent = await build({
      config: fx.config({
        dataDir: join(d, 'data-tls'),
        broker: {
          url: `mqtts://127.0.0.1:${tlsPort}`,
          tls: { caFile: join(d, 'ca.pem'), certFile: join(d, 'client.pem'), keyFile: join(d, 'client.key') },
        },
      }),
    });
    agent.start();
    try {
      await waitFor('birth over TLS', () => ctrl.births >= 1 && ctrl.scores.length >= 2, 10_000);
      assert.equal(ctrl.statuses.at(-1)?.state, 'running');
    } finally {
      await agent.stop();
      await ctrl.stop();
    }
  },
);
