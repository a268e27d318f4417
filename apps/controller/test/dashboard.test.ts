/**
 * deploy/grafana/linewatch.json: a well-formed dashboard (schema 39, datasource variable, unique panel ids) whose
 * every panel query reads only metrics this controller exports — checked against a live /metrics of a controller fed
 * by simulated agents, so the per-device series exist. (test/prometheus.test.ts also evaluates each query in a real
 * Prometheus.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allPanels, metricNames, readDashboard } from './helpers/dashboard.js';
import { fedController } from './helpers/fed-controller.js';
import { families, parseSamples } from './helpers/prom-text.js';

test('metricNames reads the metric names of a PromQL expression', () => {
  assert.deepEqual(
    metricNames('histogram_quantile(0.99, sum by (le, kind) (rate(lw_ingest_lag_seconds_bucket{kind="event"}[5m])))'),
    ['lw_ingest_lag_seconds_bucket'],
  );
  assert.deepEqual(
    metricNames(
      'max without (instance) (lw_a{line=~"$line", q="0.99"}) / ignoring (label) (lw_b + on(x) lw_c offset 15m)',
    ),
    ['lw_a', 'lw_b', 'lw_c'],
  );
  assert.deepEqual(metricNames('count(max without (instance) (lw_device_up) == 0) or vector(0)'), ['lw_device_up']);
});

test('the dashboard is well formed: schema 39, a datasource variable every query uses, unique panel ids', () => {
  const d = readDashboard();
  assert.equal(d.uid, 'linewatch');
  assert.equal(d.schemaVersion, 39);
  assert.ok(d.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
  const panels = allPanels(d);
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
  const queries = panels.filter((p) => p.type !== 'row');
  assert.ok(queries.length >= 20, `${queries.length} panels`);
  for (const p of queries) {
    assert.ok(p.gridPos && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: grid position`);
    assert.ok(p.targets && p.targets.length > 0, `${p.title}: has queries`);
    assert.equal(p.datasource?.uid, '${datasource}', `${p.title}: datasource variable`);
    for (const t of p.targets) assert.equal(t.datasource?.uid, '${datasource}', `${p.title} ${t.refId}`);
  }
  const rows = panels.filter((p) => p.type === 'row').map((p) => p.title);
  assert.deepEqual(rows, ['Fleet', 'Per-line quality', 'Rollouts', 'Ingest']);
});

test('every panel query reads metrics a live /metrics exports', { timeout: 60_000 }, async () => {
  const fed = await fedController([9]);
  try {
    const res = await fed.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    const declared = families(res.body);
    const sampled = new Set(parseSamples(res.body).map((s) => s.name));
    const family = (name: string): string | null => {
      if (declared.has(name)) return name;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return declared.get(base) === 'histogram' ? base : null;
    };
    const used = new Set<string>();
    for (const p of allPanels(readDashboard())) {
      for (const t of p.targets ?? []) {
        const names = metricNames(t.expr);
        assert.ok(names.length > 0, `${p.title}: no metric in ${t.expr}`);
        for (const n of names) {
          assert.ok(family(n), `${p.title}: ${n} is not exported by the controller`);
          used.add(n);
        }
      }
    }
    // The fleet panels have data: the agent's health made the per-device series.
    for (const n of [...used].filter((x) => x.startsWith('lw_device_') && x !== 'lw_device_problems'))
      assert.ok(sampled.has(n), `${n} has samples`);
    for (const n of ['lw_device_fps', 'lw_device_info', 'lw_qa_queue_depth', 'lw_rollout_gate_decisions'])
      assert.ok(used.has(n), `dashboard shows ${n}`);
  } finally {
    await fed.close();
  }
});
