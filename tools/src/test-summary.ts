/** Reads the JUnit files written by run-tests and returns the workspace totals. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestTotals {
  passed: number;
  failed: number;
  skipped: number;
  projects: string[];
}

function counter(xml: string, key: string): number {
  const m = new RegExp(`<!-- ${key} (\\d+) -->`).exec(xml);
  return m ? Number(m[1]) : 0;
}

export function summarise(resultsDir: string): TestTotals {
  const totals: TestTotals = { passed: 0, failed: 0, skipped: 0, projects: [] };
  if (!existsSync(resultsDir)) return totals;
  for (const file of readdirSync(resultsDir)
    .filter((f) => f.endsWith('.xml'))
    .sort()) {
    const xml = readFileSync(join(resultsDir, file), 'utf8');
    totals.projects.push(file.replace(/\.xml$/, ''));
    totals.passed += counter(xml, 'pass');
    totals.failed += counter(xml, 'fail') + counter(xml, 'cancelled');
    totals.skipped += counter(xml, 'skipped') + counter(xml, 'todo');
  }
  return totals;
}
