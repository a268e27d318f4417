/** Device condition gauges, rebuilt from the fleet store at each scrape: no stale series for removed devices. */
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { conditionOf } from './condition.js';

export async function refreshDeviceMetrics(metrics: Metrics, store: Store): Promise<void> {
  const rows = await store.fleet.list(undefined);
  metrics.deviceDegraded.reset();
  metrics.deviceProblems.reset();
  for (const row of rows) {
    const { condition, problems } = conditionOf(row);
    // Offline devices have their own signal (the fleet's online flag); their last problems are no longer active.
    if (condition === 'offline') continue;
    const labels = { device: row.deviceId, line: row.line };
    metrics.deviceDegraded.set(labels, condition === 'degraded' ? 1 : 0);
    for (const code of new Set(problems.map((p) => p.code))) metrics.deviceProblems.set({ ...labels, code }, 1);
  }
}
