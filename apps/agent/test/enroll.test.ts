/**
 * `enroll` against a fake controller: node:https on loopback with a throw-away openssl CA, serving the protocol's
 * POST /api/v1/enroll (body checked against EnrollBody, answer shaped by EnrollReply) and the model package.
 * Then the enrolled config runs: the agent connects to the broker with the credentials it was given and serves the
 * model it installed. Wrong CA, a reused token and an expired token are refused with their codes and exit codes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { EnrollBody, EnrollReply } from '@linewatch/protocol/http';
import type { EnrollReply as Reply } from '@linewatch/protocol/http';
import { Value } from '@sinclair/typebox/value';
import { build } from '../src/agent.js';
import { loadConfig } from '../src/config.js';
import { enroll } from '../src/enroll/enroll.js';
import { isAgentError } from '../src/errors.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';
import { hasOpenssl, makePki } from './helpers/pki.js';
import type { Pki } from './helpers/pki.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const skip = !hasOpenssl && 'openssl not installed';
let fx: Fixture;
let pki: Pki;
let broker: TestBroker;
let server: Server;
let base = '';
/** token → state; `withModel` tokens answer with the line's live model. */
const tokens = new Map<string, 'pending' | 'used' | 'expired'>();
const enrollBodies: unknown[] = [];

function reply(withModel: boolean): Reply {
  return {
    device: {
      id: 'edge-9',
      name: 'Edge 9',
      site: 'plant-1',
      line: 'line-a',
      createdAt: new Date().toISOString(),
      disabled: false,
    },
    credentials: {
      username: 'edge-9',
      password: 's3cret-pw',
      clientId: 'lw-agent-edge-9',
      topicPrefix: 'linewatch/v1/plant-1/line-a/edge-9',
    },
    brokerUrls: [broker.url],
    controllerUrl: base,
    caCertPem: readFileSync(pki.caPath, 'utf8'),
    trustedKeys: [readFileSync(fx.keys.publicKeyPath, 'utf8')],
    model: withModel
      ? {
          version: fx.initial.registryVersion,
          packageUrl: `${base}/packages/initial.tar.gz`,
          sha256: fx.initial.sha256,
          signatureScheme: 'ed25519',
          signature: fx.initial.signature,
        }
      : null,
  };
}

function startFakeController(): Promise<void> {
  server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/packages/initial.tar.gz') {
      res.writeHead(200, { 'content-length': String(fx.initial.tar.length) }).end(Buffer.from(fx.initial.tar));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/api/v1/enroll')
      return send(404, { code: 'LW_CTRL_NOT_FOUND', message: 'no route' });
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as unknown;
      enrollBodies.push(body);
      if (!Value.Check(EnrollBody, body)) return send(400, { code: 'LW_CTRL_VALIDATION', message: 'bad body' });
      const state = tokens.get(body.token);
      if (!state) return send(401, { code: 'LW_CTRL_ENROLL_TOKEN_UNKNOWN', message: 'no such enrollment token' });
      if (state === 'used') return send(409, { code: 'LW_CTRL_ENROLL_TOKEN_USED', message: 'token already used' });
      if (state === 'expired') return send(410, { code: 'LW_CTRL_ENROLL_TOKEN_EXPIRED', message: 'token expired' });
      tokens.set(body.token, 'used');
      const r = reply(body.token.startsWith('model'));
      assert.ok(Value.Check(EnrollReply, r), 'the fake answers per the protocol');
      send(200, r);
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r()));
}

before(async () => {
  fx = await fixture();
  if (!hasOpenssl) return;
  pki = makePki(fx.dir);
  broker = await aedesBroker();
  await broker.start();
  await startFakeController();
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await broker?.stop();
  fx.cleanup();
});

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test(
  'enroll writes a 0600 config, the CA and keys, installs the live model; the enrolled agent runs on it',
  { skip, timeout: 60_000 },
  async () => {
    tokens.set('model-token-0123456789', 'pending');
    const configPath = join(fx.dir, 'etc', 'agent.json');
    const state = join(fx.dir, 'state-1');
    // An existing config keeps its cameras.
    const r = await cli([
      'enroll',
      '--controller',
      base,
      '--token',
      'model-token-0123456789',
      '--ca',
      pki.caPath,
      '--config',
      configPath,
      '--state',
      state,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /enrolled edge-9 on plant-1\/line-a/);
    assert.match(r.out, /model {3}1\.0\.0\+1 installed/);
    assert.equal(statSync(configPath).mode & 0o777, 0o600);
    assert.equal(statSync(state).mode & 0o777, 0o700);
    const body = enrollBodies.at(-1) as { token: string; agentVersion?: string };
    assert.equal(body.token, 'model-token-0123456789');
    assert.ok(body.agentVersion);
    const cfg = loadConfig(configPath, {});
    assert.equal(cfg.device, 'edge-9');
    assert.equal(cfg.broker.username, 'edge-9');
    assert.equal(cfg.broker.password, 's3cret-pw');
    assert.equal(cfg.controller.url, base);
    assert.ok(cfg.controller.caFile && existsSync(cfg.controller.caFile));
    assert.equal(readFileSync(cfg.controller.caFile, 'utf8'), readFileSync(pki.caPath, 'utf8'));
    assert.equal(readFileSync(cfg.model.trustedKeyPath, 'utf8'), readFileSync(fx.keys.publicKeyPath, 'utf8'));
    assert.equal(cfg.dataDir, state);

    const ctrl = new TestController(broker.url, { site: 'plant-1', line: 'line-a', device: 'edge-9' });
    await ctrl.start();
    const agent = await build({
      config: {
        ...cfg,
        logLevel: 'silent',
        cameras: [
          {
            id: 'cam-1',
            source: {
              kind: 'synthetic',
              width: 32,
              height: 32,
              fps: 10,
              seed: 1,
              defectRate: 0,
              distinctFrames: 2,
              pace: 'realtime',
            },
          },
        ],
      },
    });
    agent.start();
    try {
      assert.equal(agent.pipeline.model.version, '1.0.0+1');
      await waitFor(
        'birth and scores from the enrolled agent',
        () => ctrl.births >= 1 && ctrl.scores.length > 0,
        10_000,
      );
    } finally {
      await agent.stop();
      await ctrl.stop();
    }
  },
);

test(
  'a config written before enrollment keeps its cameras; a line with no live model leaves the agent to wait',
  { skip },
  async () => {
    tokens.set('plain-token-0123456789', 'pending');
    const configPath = join(fx.dir, 'agent-2.json');
    const cameras = [
      { id: 'press-1', source: { kind: 'video', path: '/data/replay.mp4', width: 64, height: 48, fps: 5 } },
    ];
    writeFileSync(configPath, JSON.stringify({ cameras, inference: { executionProviders: ['cuda', 'cpu'] } }));
    const res = await enroll({
      controller: base,
      token: 'plain-token-0123456789',
      caPath: pki.caPath,
      configPath,
      stateDir: join(fx.dir, 'state-2'),
    });
    assert.equal(res.model, null);
    assert.equal(res.modelProblem, undefined);
    const cfg = loadConfig(configPath, {});
    assert.deepEqual(
      cfg.cameras.map((c) => c.id),
      ['press-1'],
    );
    assert.deepEqual(cfg.inference.executionProviders, ['cuda', 'cpu']);
    assert.equal(cfg.device, 'edge-9');
  },
);

test(
  'a controller certificate the given CA did not sign is LW_AGENT_ENROLL_TLS, exit 6, and the token is not spent',
  { skip },
  async () => {
    tokens.set('tls-token-0123456789', 'pending');
    const configPath = join(fx.dir, 'agent-tls.json');
    await assert.rejects(
      enroll({
        controller: base,
        token: 'tls-token-0123456789',
        caPath: pki.otherCaPath,
        configPath,
        stateDir: join(fx.dir, 's-tls'),
      }),
      (e: unknown) =>
        isAgentError(e) && e.code === 'LW_AGENT_ENROLL_TLS' && /certificate not trusted by the CA in/.test(e.message),
    );
    assert.equal(tokens.get('tls-token-0123456789'), 'pending');
    assert.equal(existsSync(configPath), false);
    // No --ca: the system's trust store does not know a throw-away CA either.
    const r = await cli(['enroll', '--controller', base, '--token', 'tls-token-0123456789', '--config', configPath]);
    assert.equal(r.code, 6);
    assert.match(r.err, /LW_AGENT_ENROLL_TLS.*pass --ca/);
  },
);

test('a reused, an expired and an unknown token are refused with the controller codes, exit 5', { skip }, async () => {
  tokens.set('used-token-0123456789', 'used');
  tokens.set('old-token-01234567890', 'expired');
  for (const [token, code] of [
    ['used-token-0123456789', 'LW_CTRL_ENROLL_TOKEN_USED'],
    ['old-token-01234567890', 'LW_CTRL_ENROLL_TOKEN_EXPIRED'],
    ['never-issued-01234567', 'LW_CTRL_ENROLL_TOKEN_UNKNOWN'],
  ] as const) {
    const configPath = join(fx.dir, `agent-${token}.json`);
    const r = await cli(['enroll', '--controller', base, '--token', token, '--ca', pki.caPath, '--config', configPath]);
    assert.equal(r.code, 5, r.err);
    assert.match(r.err, new RegExp(`LW_AGENT_ENROLL_REFUSED: the controller refused enrollment: ${code}`));
    assert.equal(existsSync(configPath), false);
  }
});

test('an unreachable controller is LW_AGENT_ENROLL_UNREACHABLE', async () => {
  await assert.rejects(
    enroll({
      controller: 'https://127.0.0.1:1',
      token: 'x-token-0123456789abc',
      configPath: join(fx.dir, 'u.json'),
      stateDir: join(fx.dir, 'u'),
      timeoutMs: 3000,
    }),
    (e: unknown) => isAgentError(e) && e.code === 'LW_AGENT_ENROLL_UNREACHABLE',
  );
});
