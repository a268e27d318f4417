import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseConfig } from '../src/config.js';
import { AGENT_ERRORS } from '../src/errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the README example config is valid', () => {
  const block = /```json\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(block, 'README has a json block');
  const cfg = parseConfig(JSON.parse(block[1]!));
  assert.equal(cfg.cameras.length, 6);
  assert.deepEqual(
    new Set(cfg.cameras.map((c) => c.source.kind)),
    new Set(['rtsp', 'v4l2', 'mjpeg', 'video', 'folder', 'synthetic']),
  );
});

test('the README lists every error code', () => {
  for (const code of Object.keys(AGENT_ERRORS)) assert.ok(readme.includes(`\`${code}\``), code);
});
