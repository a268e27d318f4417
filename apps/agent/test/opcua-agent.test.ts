/**
 * OPC UA on a real agent (tiny model, synthetic cameras): values change as frames are scored, a subscription sees
 * them, Capture on a trigger camera answers with the verdict of the frame it caused, and stop() closes the server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VERDICTS } from '@linewatch/protocol';
import { AttributeIds, ClientMonitoredItem, ClientSubscription, DataType, TimestampsToReturn } from 'node-opcua';
import type { ClientSession, DataValue } from 'node-opcua';
import { build } from '../src/agent.js';
import { hashPassword } from '../src/line/opcua/users.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { waitFor } from './helpers/controller.js';
import {
  clientIdentity,
  eventually,
  namespaceIndex,
  password,
  readValue,
  withSession,
} from './helpers/opcua-client.js';
import type { ClientIdentity } from './helpers/opcua-client.js';

let fx: Fixture;
let broker: TestBroker;
let app: ClientIdentity;
before(async () => {
  fx = await fixture();
  broker = await aedesBroker();
  await broker.start();
  app = await clientIdentity(fx.dir, 'mes');
});
after(async () => {
  await app?.manager.dispose();
  await broker.stop();
  fx.cleanup();
});

const synthetic = { kind: 'synthetic', width: 32, height: 32, fps: 20 } as const;

async function uint64(s: ClientSession, nodeId: string): Promise<number> {
  const [hi, lo] = (await readValue(s, nodeId)).value.value as [number, number];
  return hi * 2 ** 32 + lo;
}

test(
  'a real agent: OPC UA follows scored frames, Capture scores one trigger frame, stop closes it',
  { timeout: 180_000 },
  async () => {
    const agent = await build({
      config: fx.config({
        broker: { url: broker.url },
        normalSampleIntervalS: 0,
        cameras: [
          { id: 'free', source: synthetic },
          { id: 'gate', source: { kind: 'trigger', source: synthetic } },
        ],
        opcua: {
          enabled: true,
          port: 0,
          securityModes: ['None'],
          users: [{ name: 'mes', passwordHash: await hashPassword('line-a!') }],
        },
      }),
    });
    agent.start();
    let endpointUrl = '';
    try {
      const server = await agent.opcua?.ready;
      assert.ok(server, 'the OPC UA server started with the agent');
      endpointUrl = server.endpointUrl;
      await withSession(endpointUrl, { identity: app, user: password('mes', 'line-a!') }, async (s) => {
        const ns = await namespaceIndex(s, server.namespaceUri);
        const node = (path: string) => `ns=${ns};s=${path}`;
        await eventually(
          'a first verdict',
          async () => (await readValue(s, node('free/LastVerdict'))).statusCode.isGood(),
          30_000,
        );
        assert.equal((await readValue(s, node('free/ModelVersion'))).value.value, '1.0.0+1');
        assert.equal((await readValue(s, node('free/Online'))).value.value, true);

        // Scored frames move the values a client watches.
        const sub = ClientSubscription.create(s, {
          requestedPublishingInterval: 50,
          requestedLifetimeCount: 1000,
          requestedMaxKeepAliveCount: 20,
          publishingEnabled: true,
        });
        const updates: DataValue[] = [];
        const item = ClientMonitoredItem.create(
          sub,
          { nodeId: node('free/LastUpdate'), attributeId: AttributeIds.Value },
          { samplingInterval: 0, queueSize: 100, discardOldest: true },
          TimestampsToReturn.Both,
        );
        item.on('changed', (dv: DataValue) => void updates.push(dv));
        try {
          await waitFor(
            'three verdict timestamps',
            () => new Set(updates.map((u) => String(u.value.value))).size >= 3,
            30_000,
          );
        } finally {
          await sub.terminate();
        }
        const counted = async () =>
          (await uint64(s, node('free/Counters/OK'))) +
          (await uint64(s, node('free/Counters/Anomalous'))) +
          (await uint64(s, node('free/Counters/Uncertain')));
        const before = await counted();
        assert.ok(before >= 3, `counted ${before}`);
        await eventually('the counters to grow', async () => (await counted()) > before, 30_000);

        // A trigger camera scores nothing unasked; Capture scores one frame, tagged with the part id.
        assert.equal((await readValue(s, node('gate/LastVerdict'))).statusCode.name, 'BadWaitingForInitialData');
        const call = (camera: string, partId: string) =>
          s.call({
            objectId: node(camera),
            methodId: node(`${camera}/Capture`),
            inputArguments: [{ dataType: DataType.String, value: partId }],
          });
        const result = await call('gate', 'P-0042');
        assert.equal(result.statusCode.name, 'Good');
        const [verdict, score] = (result.outputArguments ?? []).map((v) => v.value) as [string, number];
        const last = agent.line.lastVerdict('gate');
        assert.equal(last?.partId, 'P-0042');
        assert.ok((VERDICTS as readonly string[]).includes(verdict));
        assert.equal(verdict, last?.verdict);
        assert.equal(score, last?.score);
        assert.equal((await readValue(s, node('gate/PartId'))).value.value, 'P-0042');
        assert.equal((await readValue(s, node('gate/Score'))).value.value, last?.score);
        assert.equal((await call('free', 'P-0043')).statusCode.name, 'BadNotSupported', 'free-running camera');
      });
    } finally {
      await agent.stop();
    }
    await assert.rejects(
      withSession(endpointUrl, { identity: app, user: password('mes', 'line-a!') }, async () => 'in'),
      'closed with the agent',
    );
  },
);
