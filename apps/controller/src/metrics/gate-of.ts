/**
 * Which gate a `gate-failed` decision names, from its reason text (the decision log records the reason, not the gate):
 * a closed set, so the metric label stays bounded. The reason formats are the engine's (rollouts/engine.ts,
 * evaluate.ts, gates.ts, install.ts); test/metrics-gates.test.ts pins them with the gate functions' own output.
 */
export const GATES = ['install', 'shadow', 'health', 'flag-rate', 'qa', 'other'] as const;
export type Gate = (typeof GATES)[number];

export function gateOf(reason: string): Gate {
  if (/^install (failed|timeout)\b/.test(reason)) return 'install';
  const r = reason.replace(/^gate failed: /, '');
  if (/\bshadow flag rate\b/.test(r)) return 'shadow';
  if (/^flag rate\b/.test(r)) return 'flag-rate';
  if (/^QA reject rate\b/.test(r)) return 'qa';
  if (/^[^:]+: (fps|latency p99) /.test(r)) return 'health';
  return 'other';
}
