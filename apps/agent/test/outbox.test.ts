import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTopic, toPublication } from '@linewatch/protocol';
import { heatmapPng } from '@linewatch/vision';
import { SeqCounter } from '../src/counters.js';
import type { AgentErrorCode } from '../src/errors.js';
import { Outbox, realOutboxFs } from '../src/outbox.js';
import type { OutboxOptions } from '../src/outbox.js';

const address = { site: 's', line: 'l', device: 'd1' };
const topicFor = (camera: string): string => buildTopic('event', { ...address, camera });
let dir: string;
let png: Uint8Array;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-outbox-'));
  png = new Uint8Array(await heatmapPng({ width: 4, height: 4, data: new Float32Array(16) }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function event(seq: number, camera = 'cam-1', jpegBytes = 100) {
  const jpeg = new Uint8Array(jpegBytes);
  jpeg.set([0xff, 0xd8, 0xff]);
  const eventId = `evt-${String(seq).padStart(8, '0')}`;
  const pub = toPublication(
    'event',
    { ...address, camera },
    {
      eventId,
      device: 'd1',
      camera,
      seq,
      ts: 1,
      modelVersion: '1.0.0',
      score: 1,
      threshold: 0.5,
      jpeg,
      anomalyMap: png,
    },
  );
  return { eventId, seq, camera, topic: pub.topic, payload: pub.payload };
}

function outbox(sub: string, extra: Partial<OutboxOptions> = {}) {
  const problems: { code: AgentErrorCode; message: string }[] = [];
  const ob = new Outbox({
    dir: join(dir, sub),
    maxBytes: 1 << 20,
    policy: 'drop-oldest',
    topicFor,
    onProblem: (code, message) => problems.push({ code, message }),
    ...extra,
  });
  ob.open();
  return { ob, problems };
}

test('events survive a restart in sequence order until acked; acked events never come back', async () => {
  const { ob } = outbox('restart');
  for (const s of [3, 1, 2]) assert.equal(ob.add(event(s, s === 2 ? 'cam-2' : 'cam-1')), true);
  assert.ok(
    [...ob.pending()].every((e) => e.writing),
    'not publishable before the write is durable',
  );
  await ob.flush();
  assert.ok([...ob.pending()].every((e) => !e.writing));
  assert.equal(ob.ack(['evt-00000001', 'evt-unknown']), 1);
  await ob.flush();
  const again = outbox('restart').ob;
  const pending = [...again.pending()];
  assert.deepEqual(
    pending.map((e) => e.seq),
    [2, 3],
  );
  assert.equal(pending[0]!.topic, topicFor('cam-2'));
  assert.equal(again.maxSeqOnDisk, 3);
  assert.equal(
    again.stats.bytes,
    pending.reduce((a, e) => a + e.payload.length, 0),
  );
  again.ack(['evt-00000002', 'evt-00000003']);
  await again.flush();
  assert.equal(outbox('restart').ob.depth, 0);
});

test('drop-oldest evicts the oldest events to stay within the byte budget and counts every drop', async () => {
  const size = event(1).payload.length;
  const { ob, problems } = outbox('drop-oldest', { maxBytes: size * 3 + 10 });
  for (let s = 1; s <= 5; s++) ob.add(event(s));
  await ob.flush();
  assert.deepEqual(
    [...ob.pending()].map((e) => e.seq),
    [3, 4, 5],
  );
  assert.equal(ob.stats.dropped, 2);
  assert.ok(ob.stats.bytes <= size * 3 + 10);
  assert.deepEqual(
    problems.map((p) => p.code),
    ['LW_AGENT_OUTBOX_FULL', 'LW_AGENT_OUTBOX_FULL'],
  );
  assert.equal(readdirSync(join(dir, 'drop-oldest')).length, 3, 'evicted files are deleted');
});

test('refuse-new keeps the oldest events and refuses new ones while full', async () => {
  const size = event(1).payload.length;
  const { ob, problems } = outbox('refuse-new', { maxBytes: size * 2 + 10, policy: 'refuse-new' });
  const results = [1, 2, 3, 4].map((s) => ob.add(event(s)));
  assert.deepEqual(results, [true, true, false, false]);
  assert.deepEqual(
    [...ob.pending()].map((e) => e.seq),
    [1, 2],
  );
  assert.equal(ob.stats.dropped, 2);
  assert.match(problems[0]!.message, /refused event seq 3/);
  ob.ack(['evt-00000001']);
  assert.equal(ob.add(event(5)), true, 'room again after an ack');
  await ob.flush();
  assert.deepEqual(readdirSync(join(dir, 'refuse-new')).sort(), ['0000000000000002.evt', '0000000000000005.evt']);
});

test('an event evicted while its write is still queued leaves no file behind', async () => {
  const size = event(1).payload.length;
  const { ob } = outbox('evict-writing', { maxBytes: size + 10 });
  ob.add(event(1));
  ob.add(event(2)); // evicts 1 before its write has run
  await ob.flush();
  assert.deepEqual(readdirSync(join(dir, 'evict-writing')), ['0000000000000002.evt']);
  assert.equal(ob.stats.dropped, 1);
});

test('a failing disk (ENOSPC) is reported; the event is kept in memory and still delivered; no throw', async () => {
  let fail = true;
  const fs = {
    async writeDurable(path: string, data: Uint8Array) {
      if (fail) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      await realOutboxFs.writeDurable(path, data);
    },
    unlink: realOutboxFs.unlink,
  };
  const { ob, problems } = outbox('enospc', { fs });
  assert.equal(ob.add(event(1)), true);
  await ob.flush();
  assert.equal(ob.stats.diskErrors, 1);
  assert.equal(problems[0]!.code, 'LW_AGENT_OUTBOX_DISK');
  assert.match(problems[0]!.message, /ENOSPC/);
  assert.equal([...ob.pending()][0]!.file, undefined);
  fail = false;
  ob.add(event(2));
  await ob.flush();
  assert.equal(ob.depth, 2);
  assert.equal(ob.ack(['evt-00000001']), 1, 'memory-only event is acked like any other');
  await ob.flush();
  assert.equal(readdirSync(join(dir, 'enospc')).length, 1);
});

test('corrupt outbox files are moved aside and reported; interrupted temp files are removed', async () => {
  const sub = join(dir, 'corrupt');
  const { ob } = outbox('corrupt');
  ob.add(event(1));
  await ob.flush();
  writeFileSync(join(sub, '0000000000000002.evt'), 'garbage');
  writeFileSync(join(sub, '0000000000000003.evt.tmp'), 'half');
  const { ob: again, problems } = outbox('corrupt');
  assert.deepEqual(
    [...again.pending()].map((e) => e.seq),
    [1],
  );
  assert.equal(problems[0]!.code, 'LW_AGENT_OUTBOX_CORRUPT');
  assert.ok(existsSync(join(sub, 'corrupt', '0000000000000002.evt')));
  assert.ok(!existsSync(join(sub, '0000000000000003.evt.tmp')));
});

test('event sequence is strictly increasing across restarts (block reservation) and starts above the outbox', () => {
  const d = join(dir, 'seq');
  const a = new SeqCounter(d, 1, 10);
  const first = [a.take(), a.take(), a.take()];
  assert.deepEqual(first, [1, 2, 3]);
  const b = new SeqCounter(d, 1, 10); // "restart" after a crash: resumes above the reserved block
  const n = b.take();
  assert.ok(n > 3, `${n} > 3`);
  for (let i = 0; i < 25; i++) b.take();
  const c = new SeqCounter(d, 1000, 10);
  assert.equal(c.take(), 1000, 'never below the highest seq found in the outbox');
});
