/** deploy/grafana/linewatch.json as the tests read it: every panel query, and the metric names a PromQL query reads. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD = fileURLToPath(new URL('../../../../deploy/grafana/linewatch.json', import.meta.url));

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
  panels?: Panel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}

export interface Dashboard {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'inf', 'nan']);

/**
 * Metric names a PromQL expression selects: strings, label matchers, range/subquery brackets and grouping label lists
 * are removed; what remains as an identifier not followed by `(` (a function or an aggregation) and not a keyword
 * is a metric name. Enough for the dashboard's queries, not a PromQL parser.
 */
export function metricNames(expr: string): string[] {
  const e = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of e.matchAll(/(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()/g)) {
    const id = m[0];
    // An identifier the regex cut short before a `(` (e.g. `su` of `sum(`) is not a name: require a word end.
    const next = e[m.index + id.length];
    if (next !== undefined && /[\w(]/.test(next)) continue;
    if (!KEYWORDS.has(id.toLowerCase())) names.add(id);
  }
  return [...names];
}

/** The expression with Grafana's variables replaced, so Prometheus can evaluate it. */
export function concrete(expr: string): string {
  return expr
    .replace(/\$line/g, '.*')
    .replace(/\$__range/g, '1h')
    .replace(/\$__rate_interval/g, '1m');
}
