/** One bar over a multi-item run: inner phases never draw bars of their own, the outer bar counts items. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress } from '../progress.js';
import { runProgress } from './run-progress.js';

test('inner phases update the run bar; only items advance it; logs are prefixed with the item', () => {
  let text = '';
  const stream = { isTTY: false, write: (s: string) => ((text += s), true) };
  let t = 0;
  const run = runProgress(createProgress(stream, { tty: false, now: () => (t += 1000) }), 2, 'one-class');
  for (const name of ['Bag', 'Coat']) {
    const inner = run.item(name);
    inner.start(10, 'train L_norm');
    for (let i = 0; i < 10; i++) inner.tick(1);
    inner.log('epoch 10/10');
    inner.done();
    run.finish(name, 'image AUROC 0.9');
  }
  run.done();
  const lines = text.trim().split('\n');
  assert.ok(
    lines.every((l) => !l.startsWith('train L_norm')),
    text,
  );
  assert.ok(lines.includes('[Bag] epoch 10/10'));
  assert.ok(
    lines.some((l) => l.startsWith('one-class 1/2 50%') && l.includes('item=Bag')),
    text,
  );
  assert.ok(
    lines.some((l) => l.startsWith('one-class 2/2 100%')),
    text,
  );
  assert.ok(lines.includes('Coat: image AUROC 0.9'));
});
