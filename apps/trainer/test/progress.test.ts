import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, formatDuration } from '../src/progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (c: string) => (chunks.push(c), true) } };
}

test('line mode prints about every 10 % with counts, ETA and extra fields', () => {
  let t = 0;
  const { chunks, stream } = sink(false);
  const p = createProgress(stream, { now: () => t });
  p.start(200, 'train');
  for (let i = 0; i < 200; i++) {
    t += 50;
    p.tick(1, { loss: 0.123456, epoch: 2 });
  }
  p.done();
  const lines = chunks.join('').trimEnd().split('\n');
  assert.equal(lines.length, 11); // 0 %, 10 %, …, 100 %
  assert.match(lines[1]!, /^train 20\/200 10% elapsed 00:01 eta 00:09 loss=0\.1235 epoch=2$/);
  assert.match(lines.at(-1)!, /^train 200\/200 100% elapsed 00:10 eta 00:00/);
});

test('TTY mode redraws one line (throttled) and ends with a newline; log lines do not break it', () => {
  let t = 0;
  const { chunks, stream } = sink(true);
  const p = createProgress(stream, { now: () => t, width: 10 });
  p.start(4, 'eval');
  t += 1000;
  p.tick(2);
  p.tick(1); // within 100 ms: not drawn
  p.log('note');
  t += 1000;
  p.tick(1);
  p.done();
  const out = chunks.join('');
  assert.ok(chunks.every((c) => c.startsWith('\r') || c === '\n'));
  assert.match(out, /eval \[#####\.\.\.\.\.\] 2\/4 50% elapsed 00:01 eta 00:01/);
  assert.match(out, /note\n/);
  assert.ok(out.endsWith('eval [##########] 4/4 100% elapsed 00:02 eta 00:00\n'));
});

test('durations format as mm:ss or h:mm:ss', () => {
  assert.equal(formatDuration(0), '00:00');
  assert.equal(formatDuration(75.4), '01:15');
  assert.equal(formatDuration(3 * 3600 + 62), '3:01:02');
  assert.equal(formatDuration(NaN), '--:--');
});
