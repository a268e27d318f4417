/** A run's result table written three ways: JSON (the caller's shape), Markdown and a PNG bar chart. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { svgToPng } from '@linewatch/vision';
import { TrainerError } from '../errors.js';
import { barChartSvg } from './bar-chart.js';

export interface TableColumn {
  readonly key: string;
  readonly label: string;
  /** Drawn in the chart (AUROC-like 0–1 figures); seconds and counts are not. */
  readonly chart?: boolean;
}

export interface TableRow {
  readonly name: string;
  readonly values: Readonly<Record<string, number | null>>;
  /** Said under the table (e.g. why pixel metrics are n/a). */
  readonly note?: string | null;
}

export interface ResultTable {
  readonly title: string;
  readonly columns: readonly TableColumn[];
  readonly rows: readonly TableRow[];
  /** Lines under the table: settings, machine load. */
  readonly footer?: readonly string[];
}

/** The machine's load over a run (this box is shared: figures taken under load say so). */
export function machineLoad(start: readonly number[]) {
  const round = (xs: readonly number[]): number[] => xs.map((v) => Math.round(v * 100) / 100);
  return { cpus: cpus().length, loadavgStart: round(start), loadavgEnd: round(loadavg()) };
}

/** AUROC-like columns (charted) always with 3 decimals, so 1 reads 1.000; counts and seconds as they are. */
function cell(v: number | null | undefined, c: TableColumn): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return c.chart || !Number.isInteger(v) ? v.toFixed(c.chart ? 3 : 1) : String(v);
}

/** Mean of the non-null values, or null when there are none. */
export function meanOf(values: readonly (number | null | undefined)[]): number | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function tableMarkdown(t: ResultTable): string {
  const head = `| | ${t.columns.map((c) => c.label).join(' | ')} |`;
  const rule = `| --- | ${t.columns.map(() => '---:').join(' | ')} |`;
  const rows = t.rows.map((r) => `| ${r.name} | ${t.columns.map((c) => cell(r.values[c.key], c)).join(' | ')} |`);
  const mean = `| **mean** | ${t.columns.map((c) => cell(meanOf(t.rows.map((r) => r.values[c.key])), c)).join(' | ')} |`;
  const notes = t.rows.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`);
  return [
    `# ${t.title}`,
    '',
    head,
    rule,
    ...rows,
    mean,
    '',
    ...notes,
    ...(notes.length ? [''] : []),
    ...(t.footer ?? []),
  ]
    .join('\n')
    .concat('\n');
}

/** Writes `<stem>.json`, `<stem>.md` and `<stem>.png` into `dir`; returns their paths. */
export async function writeTable(dir: string, stem: string, table: ResultTable, json: unknown): Promise<string[]> {
  const charted = table.columns.filter((c) => c.chart);
  const svg = barChartSvg({
    title: table.title,
    groups: table.rows.map((r) => r.name),
    series: charted.map((c) => ({ name: c.label, values: table.rows.map((r) => r.values[c.key] ?? null) })),
  });
  const files: [string, string | Buffer][] = [
    [join(dir, `${stem}.json`), `${JSON.stringify(json, null, 2)}\n`],
    [join(dir, `${stem}.md`), tableMarkdown(table)],
    [join(dir, `${stem}.png`), await svgToPng(svg)],
  ];
  for (const [path, data] of files) {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, data);
    } catch (e) {
      throw new TrainerError('LW_TRAINER_IO', `cannot write ${path}: ${(e as Error).message}`, { path }, { cause: e });
    }
  }
  return files.map(([p]) => p);
}
