/**
 * deploy/prometheus: the alert rules pass `promtool check rules` and their unit tests (`promtool test rules
 * alerts.test.yml`: each alert fires on a failing synthetic series and stays silent on a healthy one), and the sample
 * prometheus.yml passes `promtool check config` (its secret files stubbed in a temp dir).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { missingTool } from './helpers/system-tool.js';

const DIR = fileURLToPath(new URL('../../../deploy/prometheus/', import.meta.url));
const skip = missingTool('promtool', 'prometheus') ?? false;

function promtool(args: string[], cwd = DIR): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('alerts.yml passes promtool check rules', { skip }, () => {
  const r = promtool(['check', 'rules', 'alerts.yml']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS: \d+ rules found/);
});

test('alerts.test.yml: every alert fires on its failing series and stays silent on the healthy ones', { skip }, () => {
  const r = promtool(['test', 'rules', 'alerts.test.yml']);
  assert.equal(r.status, 0, r.out);
  // Every alert of alerts.yml has a unit test.
  const alerts = [...readFileSync(join(DIR, 'alerts.yml'), 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  const tested = new Set(
    [...readFileSync(join(DIR, 'alerts.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
  );
  assert.ok(alerts.length >= 8, `${alerts.length} alerts`);
  assert.deepEqual(
    alerts.filter((a) => !tested.has(a)),
    [],
  );
});

test('the unit tests can fail: a broken threshold is caught', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-promtool-'));
  try {
    const rules = readFileSync(join(DIR, 'alerts.yml'), 'utf8').replace(
      'lw_qa_queue_depth) > 200',
      'lw_qa_queue_depth) > 20',
    );
    assert.notEqual(rules, readFileSync(join(DIR, 'alerts.yml'), 'utf8'));
    writeFileSync(join(dir, 'alerts.yml'), rules);
    copyFileSync(join(DIR, 'alerts.test.yml'), join(dir, 'alerts.test.yml'));
    const r = promtool(['test', 'rules', 'alerts.test.yml'], dir);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /LinewatchQaBacklog/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the sample prometheus.yml passes promtool check config', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-promcfg-'));
  try {
    writeFileSync(join(dir, 'token'), 'metrics-token-0123456789abcdef\n');
    writeFileSync(join(dir, 'ca.pem'), '');
    copyFileSync(join(DIR, 'alerts.yml'), join(dir, 'alerts.yml'));
    const config = readFileSync(join(DIR, 'prometheus.yml'), 'utf8')
      .replace('/etc/prometheus/linewatch-metrics.token', join(dir, 'token'))
      .replace('/etc/linewatch/tls/ca.pem', join(dir, 'ca.pem'));
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const r = promtool(['check', 'config', 'prometheus.yml'], dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS: 1 rule files found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
