import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  KINDS,
  MESSAGE_KINDS,
  ProtocolError,
  agentSubscriptions,
  buildTopic,
  controllerSubscriptions,
  kindFilter,
  parseTopic,
  safeParseTopic,
  segmentProblem,
  topicMatches,
} from '../src/index.js';
import type { MessageKind, TopicParams } from '../src/index.js';
import { segmentArb } from './arbitraries.js';
import { address } from './samples.js';

const RUNS = 1000;
const P = 'linewatch/v1/plant-1/line-a/edge-07';
const expected: Record<MessageKind, string> = {
  score: `${P}/score/cam-1`,
  event: `${P}/event/cam-1`,
  ack: `${P}/ack`,
  birth: `${P}/birth`,
  death: `${P}/death`,
  status: `${P}/status`,
  health: `${P}/health`,
  desiredModel: `${P}/cmd/model`,
  modelReport: `${P}/model/report`,
  threshold: `${P}/cfg/threshold/cam-1`,
  verdict: `${P}/verdict/cam-1`,
  capture: `${P}/cmd/capture/cam-1`,
  scoreSketch: `${P}/sketch/cam-1`,
};
const params = { ...address, camera: 'cam-1' };

describe('topic building and parsing', () => {
  for (const kind of MESSAGE_KINDS) {
    test(`${kind}: build and parse`, () => {
      const topic = buildTopic(kind, params as TopicParams<MessageKind>);
      assert.equal(topic, expected[kind]);
      const parsed = parseTopic(topic);
      assert.equal(parsed.kind, kind);
      assert.equal(parsed.site, 'plant-1');
      assert.equal(parsed.line, 'line-a');
      assert.equal(parsed.device, 'edge-07');
      assert.equal(parsed.camera, KINDS[kind].suffix.some((s: string) => s === '{camera}') ? 'cam-1' : undefined);
    });
  }

  test('segment validation reasons', () => {
    assert.equal(segmentProblem('edge-07'), undefined);
    assert.equal(segmentProblem('a.b_c-D9'), undefined);
    assert.equal(segmentProblem(''), 'empty');
    assert.equal(segmentProblem('x'.repeat(65)), 'too-long');
    assert.equal(segmentProblem('x'.repeat(64)), undefined);
    assert.equal(segmentProblem('a+b'), 'wildcard');
    assert.equal(segmentProblem('#'), 'wildcard');
    assert.equal(segmentProblem('a/b'), 'separator');
    assert.equal(segmentProblem('$SYS'), 'charset');
    assert.equal(segmentProblem('-lead'), 'charset');
    assert.equal(segmentProblem('sp ace'), 'charset');
    assert.equal(segmentProblem('ü'), 'charset');
    assert.equal(segmentProblem('a\u0000'), 'charset');
    assert.equal(segmentProblem(7), 'not-a-string');
  });

  test('parse rejects filters, trailing slashes and extra levels with coded errors', () => {
    const bad: [string, string][] = [
      [`linewatch/v1/+/line-a/edge-07/status`, 'LW_PROTO_TOPIC_SEGMENT'],
      [`linewatch/v1/#`, 'LW_PROTO_TOPIC_MALFORMED'],
      [`${P}/status/`, 'LW_PROTO_TOPIC_UNKNOWN_KIND'],
      [`${P}/score`, 'LW_PROTO_TOPIC_UNKNOWN_KIND'],
      [`${P}/score/cam-1/x`, 'LW_PROTO_TOPIC_UNKNOWN_KIND'],
      [`${P}/score/+`, 'LW_PROTO_TOPIC_SEGMENT'],
      [`/${P}/status`, 'LW_PROTO_TOPIC_MALFORMED'],
      [`${P}/status`.padEnd(600, 'x'), 'LW_PROTO_TOPIC_MALFORMED'],
    ];
    for (const [topic, code] of bad) {
      assert.throws(
        () => parseTopic(topic),
        (e: unknown) => e instanceof ProtocolError && e.code === code,
        topic,
      );
      const r = safeParseTopic(topic);
      assert.ok(!r.ok && r.error.code === code);
    }
  });

  test('property: build → parse round trip for any valid segments', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MESSAGE_KINDS),
        segmentArb,
        segmentArb,
        segmentArb,
        segmentArb,
        (kind, site, line, device, camera) => {
          const p = parseTopic(buildTopic(kind, { site, line, device, camera } as TopicParams<MessageKind>));
          assert.deepEqual(
            { ...p },
            KINDS[kind].suffix.some((s: string) => s === '{camera}')
              ? { site, line, device, kind, camera }
              : { site, line, device, kind },
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('property: parseTopic on arbitrary strings returns a topic or throws ProtocolError', () => {
    const level = fc.oneof(
      segmentArb,
      fc.constantFrom('linewatch', 'v1', 'score', 'event', 'cfg', 'threshold', '+', '#', '', '$share'),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    const topic = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(level, { maxLength: 9 }).map((l) => l.join('/')),
      fc.array(level, { maxLength: 5 }).map((l) => `${P}/${l.join('/')}`),
    );
    fc.assert(
      fc.property(topic, (t) => {
        const r = safeParseTopic(t);
        if (r.ok) assert.equal(buildTopic(r.topic.kind, r.topic as TopicParams<MessageKind>), t);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('subscriptions', () => {
  const controller = controllerSubscriptions();
  const agent = agentSubscriptions(address);

  test('each kind is received by exactly the side it is addressed to', () => {
    for (const kind of MESSAGE_KINDS) {
      const topic = expected[kind];
      const direction = KINDS[kind].direction;
      const toController = direction === 'agent→controller';
      const toAgent = direction === 'controller→agent' || direction === 'line→agent';
      assert.deepEqual(
        controller.filter((s) => topicMatches(s.topic, topic)).map((s) => s.kind),
        toController ? [kind] : [],
        kind,
      );
      assert.deepEqual(
        agent.filter((s) => topicMatches(s.topic, topic)).map((s) => s.kind),
        toAgent ? [kind] : [],
        kind,
      );
      for (const s of [...controller, ...agent].filter((x) => x.kind === kind)) assert.equal(s.qos, KINDS[kind].qos);
    }
  });

  test("an agent does not receive another device's commands", () => {
    const other = buildTopic('desiredModel', { ...address, device: 'edge-08' });
    assert.ok(!agent.some((s) => topicMatches(s.topic, other)));
  });

  test('shared subscriptions for ingest, plain for retained kinds', () => {
    const subs = controllerSubscriptions({ sharedGroup: 'ingest', site: 'plant-1' });
    for (const s of subs) {
      if (KINDS[s.kind].retain) assert.equal(s.topic, kindFilter(s.kind, { site: 'plant-1' }));
      else assert.equal(s.topic, `$share/ingest/${kindFilter(s.kind, { site: 'plant-1' })}`);
      assert.ok(topicMatches(s.topic, expected[s.kind]), s.topic);
      assert.ok(!topicMatches(s.topic, expected[s.kind].replace('plant-1', 'plant-2')));
    }
    assert.equal(subs.find((s) => s.kind === 'event')?.topic, '$share/ingest/linewatch/v1/plant-1/+/+/event/+');
    assert.throws(
      () => controllerSubscriptions({ sharedGroup: 'a/b' }),
      (e: unknown) => e instanceof ProtocolError && e.code === 'LW_PROTO_TOPIC_SEGMENT',
    );
  });

  test('topicMatches follows MQTT rules', () => {
    assert.ok(topicMatches('a/#', 'a/b/c'));
    assert.ok(topicMatches('a/#', 'a'));
    assert.ok(topicMatches('a/+/c', 'a/b/c'));
    assert.ok(!topicMatches('a/+', 'a/b/c'));
    assert.ok(!topicMatches('a/b', 'a/b/c'));
    assert.ok(!topicMatches('#', '$SYS/broker'));
    assert.ok(topicMatches('$share/g/a/+', 'a/b'));
  });
});
