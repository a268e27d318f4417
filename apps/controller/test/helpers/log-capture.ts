/** Collects the app's pino lines in memory, so tests can assert what was logged (codes on every rejection). */
export interface LogLine {
  level: number;
  msg: string;
  code?: string;
  reason?: string;
  [k: string]: unknown;
}

export function logCapture(level = 'warn') {
  const lines: LogLine[] = [];
  return {
    lines,
    logger: { level, stream: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } },
  };
}

/** Sums a Prometheus counter from the text exposition, optionally only the series whose labels match. */
export function sumMetric(
  text: string,
  name: string,
  match: (labels: Record<string, string>) => boolean = () => true,
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels: Record<string, string> = {};
    const body = /\{(.*)\}/.exec(line)?.[1] ?? '';
    for (const m of body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    if (match(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
