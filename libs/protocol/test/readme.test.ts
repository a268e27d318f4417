/** The README's topic table is documentation other teams code against; keep it equal to the KINDS data. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, KINDS, MESSAGE_KINDS, decode, fromPublication, isMessageKind } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const size = (n: number): string => (n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : `${n / 1024} KiB`);

test('README topic table matches KINDS', () => {
  const table = readme.slice(readme.indexOf('<!-- topic-table:start'), readme.indexOf('<!-- topic-table:end'));
  const rows = table.split('\n').filter((l) => l.startsWith('| `'));
  assert.equal(rows.length, MESSAGE_KINDS.length);
  for (const kind of MESSAGE_KINDS) {
    const k = KINDS[kind];
    const row = `| \`${kind}\` | \`${k.suffix.join('/')}\` | ${k.qos} | ${k.retain ? 'yes' : 'no'} | ${k.direction} | ${k.id} | ${size(k.maxBytes)} |`;
    assert.ok(rows.includes(row), `missing or stale row: ${row}`);
  }
});

test('README lists every error code', () => {
  for (const code of ERROR_CODES) assert.ok(readme.includes(`| \`${code}\` |`), code);
});

test('README payload reference: every JSON sample decodes as its kind; the mosquitto_sub lines as their topic', () => {
  const enc = new TextEncoder();
  const rows = [...readme.matchAll(/^\| `(\w+)` \| `(\{.*\})` \|$/gm)];
  const kinds = rows.map(([, kind]) => kind);
  assert.deepEqual([...kinds].sort(), MESSAGE_KINDS.filter((k) => k !== 'event').sort());
  for (const [, kind, json] of rows) {
    assert.ok(isMessageKind(kind));
    assert.doesNotThrow(() => decode(kind, enc.encode(json)), `${kind}: ${json}`);
  }
  const lines = [...readme.matchAll(/^(linewatch\/v1\/\S+) (\{.*\})$/gm)];
  assert.ok(lines.length >= 2);
  for (const [, topic, json] of lines) assert.doesNotThrow(() => fromPublication(topic!, enc.encode(json)), topic);
});
