/**
 * The OPC UA server over a MemoryLinePort, driven by node-opcua's own client: who may log in (password, X.509,
 * anonymous only when allowed, untrusted applications refused), values that follow verdicts (reads and a
 * subscription), and the Capture method with its Bad status codes. One server serves most tests: starting one costs
 * seconds (the standard address space; a certificate the first time).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  DataType,
  MessageSecurityMode,
  StatusCodes,
  UserTokenType,
  TimestampsToReturn,
} from 'node-opcua';
import type { DataValue } from 'node-opcua';
import { AgentError } from '../src/errors.js';
import { MemoryLinePort, makeVerdict } from '../src/line/memory-port.js';
import { startOpcUaServer } from '../src/line/opcua/server.js';
import type { OpcUaServerHandle } from '../src/line/opcua/server.js';
import { OpcUaSchema } from '../src/line/opcua/schema.js';
import type { OpcUaConfig } from '../src/line/opcua/schema.js';
import { hashPassword } from '../src/line/opcua/users.js';
import { Value } from '@sinclair/typebox/value';
import {
  clientIdentity,
  eventually,
  listEndpoints,
  namespaceIndex,
  password,
  readValue,
  withSession,
  x509,
} from './helpers/opcua-client.js';
import type { ClientIdentity } from './helpers/opcua-client.js';
import { waitFor } from './helpers/controller.js';

const TIMEOUT = 120_000;
let dir: string;
let port: MemoryLinePort;
let server: OpcUaServerHandle;
let trustedApp: ClientIdentity;
let strangerApp: ClientIdentity;
let ns: number;

export function opcuaConfig(overrides: Partial<OpcUaConfig>): OpcUaConfig {
  return Value.Default(OpcUaSchema, { enabled: true, host: '127.0.0.1', port: 0, ...overrides }) as OpcUaConfig;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-opcua-'));
  [trustedApp, strangerApp] = await Promise.all([clientIdentity(dir, 'plc'), clientIdentity(dir, 'stranger')]);
  port = new MemoryLinePort({
    cameras: [
      { id: 'cam-1', trigger: true, online: true },
      { id: 'cam-2', trigger: false, online: false },
    ],
    modelVersion: '1.0.0+1',
  });
  const started = Date.now();
  server = await startOpcUaServer(port, {
    config: opcuaConfig({
      securityModes: ['None', 'SignAndEncrypt'],
      users: [{ name: 'plc', passwordHash: await hashPassword('s3cret!') }],
      certificateLogin: true,
      trustedClientCertificates: [trustedApp.certificateFile],
      refreshIntervalMs: 100,
    }),
    dataDir: join(dir, 'data'),
  });
  console.log(`# OPC UA server up in ${Date.now() - started} ms at ${server.endpointUrl}`);
  ns = await withSession(server.endpointUrl, { identity: trustedApp, user: password('plc', 's3cret!') }, (s) =>
    namespaceIndex(s, server.namespaceUri),
  );
});

after(async () => {
  await server?.close();
  await Promise.all([trustedApp?.manager.dispose(), strangerApp?.manager.dispose()]);
  rmSync(dir, { recursive: true, force: true });
});

const node = (path: string) => `ns=${ns};s=${path}`;
const plc = () => ({ identity: trustedApp, user: password('plc', 's3cret!') });

test('binds to loopback on a free port', { timeout: TIMEOUT }, () => {
  assert.match(server.endpointUrl, /^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(server.port > 0);
});

test('anonymous sessions and wrong passwords are refused by default', { timeout: TIMEOUT }, async () => {
  const endpoints = await listEndpoints(server.endpointUrl, trustedApp);
  assert.ok(endpoints.length >= 2, 'None and SignAndEncrypt endpoints');
  for (const e of endpoints) {
    const kinds = (e.userIdentityTokens ?? []).map((t) => UserTokenType[t.tokenType]);
    assert.ok(!kinds.includes('Anonymous'), `${MessageSecurityMode[e.securityMode]} offers no anonymous login`);
    assert.ok(kinds.includes('UserName'));
    if (e.securityMode === MessageSecurityMode.None) {
      // No clear-text password policy: on an unsecured channel the password is encrypted for the server's key.
      const passwordPolicies = (e.userIdentityTokens ?? []).filter((t) => t.tokenType === UserTokenType.UserName);
      assert.ok(passwordPolicies.length > 0);
      for (const t of passwordPolicies) assert.match(t.securityPolicyUri ?? '', /#(?!None$)\w+$/, t.policyId ?? '');
    }
  }
  await assert.rejects(
    withSession(server.endpointUrl, { identity: trustedApp }, async () => 'in'),
    /ANONYMOUS/,
  );
  await assert.rejects(
    withSession(server.endpointUrl, { identity: trustedApp, user: password('plc', 'wrong') }, async () => 'in'),
    /BadUserAccessDenied/,
  );
  await assert.rejects(
    withSession(server.endpointUrl, { identity: trustedApp, user: password('nobody', 's3cret!') }, async () => 'in'),
    /BadUserAccessDenied/,
  );
});

test('reads per-camera values that follow the verdicts', { timeout: TIMEOUT }, async () => {
  await withSession(server.endpointUrl, plc(), async (s) => {
    const waiting = await readValue(s, node('cam-2/LastVerdict'));
    assert.equal(waiting.statusCode.value, StatusCodes.BadWaitingForInitialData.value, 'no verdict yet');
    assert.equal((await readValue(s, node('cam-2/Online'))).value.value, false);
    assert.equal((await readValue(s, node('cam-1/Online'))).value.value, true);
    assert.equal((await readValue(s, node('cam-1/ModelVersion'))).value.value, '1.0.0+1');

    const ts = Date.UTC(2026, 11, 3, 8, 0, 0);
    port.push(makeVerdict({ camera: 'cam-2', score: 0.9, threshold: 0.5, partId: 'P-42', ts }));
    const read = async (name: string) => (await readValue(s, node(`cam-2/${name}`))).value;
    assert.equal((await read('LastVerdict')).value, 'anomalous');
    assert.equal((await read('Score')).value, 0.9);
    assert.equal((await read('Score')).dataType, DataType.Double);
    assert.equal((await read('Threshold')).value, 0.5);
    assert.ok(Math.abs(((await read('NormalizedScore')).value as number) - 1.8) < 1e-9);
    assert.equal((await read('PartId')).value, 'P-42');
    assert.equal(((await read('LastUpdate')).value as Date).getTime(), ts);
    const anomalous = await read('Counters/Anomalous');
    assert.equal(anomalous.dataType, DataType.UInt64);
    assert.deepEqual(anomalous.value, [0, 1]);
    assert.deepEqual((await read('Counters/OK')).value, [0, 0]);
  });
});

test('counters, online state and model version refresh without a verdict', { timeout: TIMEOUT }, async () => {
  await withSession(server.endpointUrl, plc(), async (s) => {
    port.setCounters('cam-1', { dropped: 2 ** 32 + 7 });
    port.setOnline('cam-2', true);
    port.setModelVersion('1.1.0+2');
    await eventually(
      'refresh',
      async () =>
        JSON.stringify((await readValue(s, node('cam-1/Counters/Dropped'))).value.value) === '[1,7]' &&
        (await readValue(s, node('cam-2/Online'))).value.value === true &&
        (await readValue(s, node('cam-1/ModelVersion'))).value.value === '1.1.0+2',
      10_000,
    );
  });
});

test('a subscription sees every verdict as it arrives', { timeout: TIMEOUT }, async () => {
  await withSession(server.endpointUrl, plc(), async (s) => {
    const sub = ClientSubscription.create(s, {
      requestedPublishingInterval: 50,
      requestedLifetimeCount: 1000,
      requestedMaxKeepAliveCount: 20,
      publishingEnabled: true,
    });
    const seen: DataValue[] = [];
    const item = ClientMonitoredItem.create(
      sub,
      { nodeId: node('cam-1/Score'), attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 100, discardOldest: false },
      TimestampsToReturn.Both,
    );
    item.on('changed', (dv: DataValue) => void seen.push(dv));
    await new Promise<void>((resolve) => item.once('initialized', () => resolve()));
    try {
      for (const [i, score] of [0.11, 0.22, 0.33].entries()) {
        port.push(makeVerdict({ camera: 'cam-1', frame: i + 1, score }));
        // One publishing interval per verdict, as a line would: each one a separate notification.
        await waitFor(`score ${score}`, () => seen.some((dv) => dv.value.value === score), 10_000);
      }
      const scores = seen.map((dv) => dv.value.value).filter((v) => typeof v === 'number');
      assert.deepEqual(scores.slice(-3), [0.11, 0.22, 0.33]);
    } finally {
      await sub.terminate();
    }
  });
});

test('Capture returns the verdict of the captured frame, tagged with the part id', { timeout: TIMEOUT }, async () => {
  port.onCapture(async (req) => makeVerdict({ camera: req.camera, score: 0.7, threshold: 0.5, partId: req.partId }));
  await withSession(server.endpointUrl, plc(), async (s) => {
    const result = await s.call({
      objectId: node('cam-1'),
      methodId: node('cam-1/Capture'),
      inputArguments: [{ dataType: DataType.String, value: 'P-7' }],
    });
    assert.equal(result.statusCode.name, 'Good');
    assert.deepEqual(
      result.outputArguments?.map((v) => v.value),
      ['anomalous', 0.7],
    );
    assert.deepEqual(port.captures.at(-1), { camera: 'cam-1', partId: 'P-7' });
    assert.equal((await readValue(s, node('cam-1/PartId'))).value.value, 'P-7');
    // An empty part id means none.
    const none = await s.call({
      objectId: node('cam-1'),
      methodId: node('cam-1/Capture'),
      inputArguments: [{ dataType: DataType.String, value: '' }],
    });
    assert.equal(none.statusCode.name, 'Good');
    assert.deepEqual(port.captures.at(-1), { camera: 'cam-1' });
  });
});

test('Capture failures answer a Bad status code, and the server keeps serving', { timeout: TIMEOUT }, async () => {
  const call = (s: Parameters<Parameters<typeof withSession>[2]>[0], camera: string, partId: string) =>
    s.call({
      objectId: node(camera),
      methodId: node(`${camera}/Capture`),
      inputArguments: [{ dataType: DataType.String, value: partId }],
    });
  await withSession(server.endpointUrl, plc(), async (s) => {
    const unknown = await call(s, 'cam-9', 'P-1');
    assert.equal(unknown.statusCode.name, 'BadNodeIdUnknown', 'no such camera object');
    // A camera the port no longer knows (its LW_AGENT_UNKNOWN_CAMERA) is BadNotFound.
    const cameras = port.cameras();
    port.setCameras(cameras.filter((c) => c.id !== 'cam-2'));
    try {
      assert.equal((await call(s, 'cam-2', 'P-1')).statusCode.name, 'BadNotFound');
    } finally {
      port.setCameras(cameras);
    }

    port.onCapture(async (req) => {
      throw new AgentError('LW_AGENT_NOT_TRIGGER_CAMERA', `${req.camera} runs free`);
    });
    assert.equal((await call(s, 'cam-2', 'P-2')).statusCode.name, 'BadNotSupported');
    port.onCapture(async () => {
      throw new AgentError('LW_AGENT_CAPTURE_TIMEOUT', 'no frame');
    });
    assert.equal((await call(s, 'cam-1', 'P-3')).statusCode.name, 'BadTimeout');
    port.onCapture(async () => {
      throw new Error('something unexpected');
    });
    assert.equal((await call(s, 'cam-1', 'P-4')).statusCode.name, 'BadInternalError');
    assert.equal((await call(s, 'cam-1', 'has space')).statusCode.name, 'BadInvalidArgument');

    assert.equal((await readValue(s, node('cam-1/Online'))).value.value, true, 'still serving');
  });
});

test(
  'SignAndEncrypt: a trusted application logs in with a password or its certificate',
  { timeout: TIMEOUT },
  async () => {
    const version = await withSession(
      server.endpointUrl,
      { ...plc(), security: 'SignAndEncrypt' },
      async (s) => (await readValue(s, node('cam-1/ModelVersion'))).value.value,
    );
    assert.equal(version, '1.1.0+2');
    const online = await withSession(
      server.endpointUrl,
      { identity: trustedApp, security: 'SignAndEncrypt', user: x509(trustedApp) },
      async (s) => (await readValue(s, node('cam-1/Online'))).value.value,
    );
    assert.equal(online, true);
  },
);

test('SignAndEncrypt: an application whose certificate is not trusted is refused', { timeout: TIMEOUT }, async () => {
  await assert.rejects(
    withSession(
      server.endpointUrl,
      { identity: strangerApp, security: 'SignAndEncrypt', user: password('plc', 's3cret!') },
      async () => 'in',
    ),
    /BadSecurityChecksFailed/,
  );
  // Kept for an operator to inspect and move to trusted/ if it is wanted.
  assert.equal(readdirSync(join(dir, 'data/opcua-pki/application/rejected')).length, 1);
});
