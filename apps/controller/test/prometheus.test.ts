/**
 * A real Prometheus (Debian `prometheus`) scrapes a controller fed by two simulated agents — over HTTP with the
 * metrics bearer token, with deploy/prometheus/alerts.yml loaded — and answers PromQL for a device's fps; every query
 * of the Grafana dashboard evaluates there. Skips when the binary is missing (CI installs it).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { allPanels, concrete, readDashboard } from './helpers/dashboard.js';
import { fedController } from './helpers/fed-controller.js';
import { missingTool } from './helpers/system-tool.js';

const TOKEN = 'prometheus-scrape-token-0123456789';
const ALERTS = fileURLToPath(new URL('../../../deploy/prometheus/alerts.yml', import.meta.url));
const skip = missingTool('prometheus', 'prometheus') ?? false;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, promql: string): Promise<PromResult[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data?: { result: PromResult[] } };
  return body.status === 'success' ? (body.data?.result ?? []) : [];
}

/** Polls until `check` returns a value; Prometheus needs its first scrapes (1 s interval) and a busy CI box time. */
async function until<T>(what: string, check: () => Promise<T | null>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check().catch(() => null);
    if (got !== null) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

test(
  'Prometheus scrapes a controller fed by agents and answers PromQL for a device fps',
  { skip, timeout: 180_000 },
  async (t) => {
    const fed = await fedController([7, 13], { metrics: { token: TOKEN } });
    t.after(() => fed.close());
    const addr = await fed.app.listen({ host: '127.0.0.1', port: 0 });
    const target = new URL(addr).host;

    const dir = mkdtempSync(join(tmpdir(), 'lw-prometheus-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(ALERTS, join(dir, 'alerts.yml'));
    writeFileSync(join(dir, 'token'), TOKEN);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [alerts.yml]',
        'scrape_configs:',
        '  - job_name: linewatch-controller',
        `    authorization: { type: Bearer, credentials_file: ${join(dir, 'token')} }`,
        `    static_configs: [{ targets: ['${target}'] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let log = '';
    const prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom.stdout.on('data', (b: Buffer) => (log += b.toString()));
    prom.stderr.on('data', (b: Buffer) => (log += b.toString()));
    t.after(() => stop(prom));

    try {
      const fps = await until('lw_device_fps of dev-0 in Prometheus', async () => {
        const r = await query(base, 'lw_device_fps{device="dev-0"}');
        return r.length > 0 ? r : null;
      });
      assert.equal(fps.length, 1);
      assert.deepEqual(
        { device: fps[0]!.metric.device, line: fps[0]!.metric.line, camera: fps[0]!.metric.camera },
        { device: 'dev-0', line: 'line-1', camera: 'cam-1' },
      );
      assert.equal(Number(fps[0]!.value[1]), 7);
      assert.equal(fps[0]!.metric.job, 'linewatch-controller');

      // PromQL over the fleet: both devices up, their fps summed.
      const total = await until('sum of fps', async () => {
        const r = await query(base, 'sum(lw_device_fps)');
        return r.length === 1 && Number(r[0]!.value[1]) === 20 ? r : null;
      });
      assert.equal(Number(total[0]!.value[1]), 20);
      const up = await query(base, 'sum(lw_device_up)');
      assert.equal(Number(up[0]!.value[1]), 2);

      // The scrape target is healthy (the bearer token was accepted) and the alert rules loaded without error.
      const targets = (await (await fetch(`${base}/api/v1/targets`)).json()) as {
        data: { activeTargets: Array<{ health: string; lastError: string }> };
      };
      assert.deepEqual(
        targets.data.activeTargets.map((x) => [x.health, x.lastError]),
        [['up', '']],
      );
      const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
      };
      const loaded = rules.data.groups.flatMap((g) => g.rules);
      assert.ok(loaded.length >= 8, `${loaded.length} rules loaded`);
      assert.deepEqual(
        loaded.filter((r) => r.health === 'err').map((r) => r.name),
        [],
      );

      // Every Grafana panel query is valid PromQL that this Prometheus evaluates (deploy/grafana/linewatch.json).
      for (const p of allPanels(readDashboard())) {
        for (const q of p.targets ?? []) {
          const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(concrete(q.expr))}`);
          const body = (await res.json()) as { status: string; error?: string };
          assert.equal(body.status, 'success', `${p.title}: ${q.expr}: ${body.error ?? ''}`);
        }
      }
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- prometheus log (tail) ---\n${log.slice(-3000)}`, { cause: e });
    }
  },
);
