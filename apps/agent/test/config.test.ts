import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, parseConfig } from '../src/config.js';
import { AgentError } from '../src/errors.js';

const minimal = { site: 's1', line: 'l1', device: 'd1', model: { trustedKeyPath: '/k.pem' } };

test('defaults fill a minimal config: one synthetic camera, cpu fallback, drop-oldest outbox', () => {
  const c = parseConfig(minimal);
  assert.equal(c.cameras.length, 1);
  assert.equal(c.cameras[0]!.source.kind, 'synthetic');
  assert.deepEqual(c.inference.executionProviders, ['cpu']);
  assert.equal(c.outbox.policy, 'drop-oldest');
  assert.equal(c.broker.url, 'mqtt://127.0.0.1:1883');
  assert.equal(c.scoreDecimation, 1);
});

test('config is deeply frozen', () => {
  const c = parseConfig(minimal);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.broker) && Object.isFrozen(c.cameras[0]!.source));
  assert.throws(() => {
    (c.broker as { url: string }).url = 'x';
  }, TypeError);
});

test('environment overrides file values', () => {
  const c = parseConfig(minimal, {
    LW_AGENT_BROKER_URL: 'mqtts://broker:8883',
    LW_AGENT_DEVICE: 'edge-9',
    LW_AGENT_BROKER_PASSWORD: 'pw',
  });
  assert.equal(c.broker.url, 'mqtts://broker:8883');
  assert.equal(c.device, 'edge-9');
  assert.equal(c.broker.password, 'pw');
});

test('invalid values are rejected with LW_AGENT_CONFIG_INVALID and a path', () => {
  const bad = [
    { ...minimal, device: 'has/slash' },
    { ...minimal, cameras: [] },
    { ...minimal, cameras: [{ id: 'a', source: { kind: 'rtsp', url: 'http://x', width: 64, height: 64, fps: 5 } }] },
    {
      ...minimal,
      cameras: [
        { id: 'a', source: { kind: 'synthetic', width: 64, height: 64, fps: 5 } },
        { id: 'a', source: { kind: 'synthetic', width: 64, height: 64, fps: 5 } },
      ],
    },
    { ...minimal, outbox: { policy: 'keep-everything' } },
    { ...minimal, broker: { url: 'mqtt://x', tls: { caFile: '/ca.pem' } } },
  ];
  for (const b of bad) {
    assert.throws(
      () => parseConfig(b),
      (e: unknown) => e instanceof AgentError && e.code === 'LW_AGENT_CONFIG_INVALID',
      JSON.stringify(b),
    );
  }
});

test('loadConfig reads a file and reports unreadable JSON with a code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-cfg-'));
  try {
    const f = join(dir, 'c.json');
    writeFileSync(
      f,
      JSON.stringify({
        ...minimal,
        cameras: [{ id: 'cam-x', source: { kind: 'video', path: '/v.mp4', width: 320, height: 240, fps: 10 } }],
      }),
    );
    const c = loadConfig(f, {});
    assert.equal(c.cameras[0]!.id, 'cam-x');
    assert.equal((c.cameras[0]!.source as { loop: boolean }).loop, true);
    writeFileSync(f, '{nope');
    assert.throws(
      () => loadConfig(f, {}),
      (e: unknown) => e instanceof AgentError && e.code === 'LW_AGENT_CONFIG_UNREADABLE',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('broker certificate verification cannot be switched off', () => {
  const base = { site: 's', line: 'l', device: 'd', model: { trustedKeyPath: '/k.pem' } };
  assert.throws(
    () => parseConfig({ ...base, broker: { url: 'mqtts://h:8883', tls: { rejectUnauthorized: false } } }),
    /LW_AGENT_CONFIG_INVALID: \/broker\/tls\/rejectUnauthorized/,
  );
  assert.doesNotThrow(() =>
    parseConfig({ ...base, broker: { url: 'mqtts://h:8883', tls: { rejectUnauthorized: true } } }),
  );
});
