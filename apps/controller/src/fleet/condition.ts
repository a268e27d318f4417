/**
 * A device's condition as the fleet page and /metrics show it, derived from its stored status and health messages
 * (kept as the agent sent them): offline when its session is gone, degraded when the agent says so or reports active
 * problems (e.g. LW_AGENT_PROVIDER_FALLBACK), ok otherwise.
 */
import type { FleetCondition, FleetProblem } from '@linewatch/protocol/http';
import type { FleetRow } from '../store/types.js';

/** Codes come from the agents' closed catalogue; anything else is dropped (it would be an unbounded metric label). */
const CODE = /^LW_[A-Z0-9_]+$/;
const MAX_PROBLEMS = 32;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Active problems from the last health report; rows stored before agents sent `problems` have none. */
export function problemsOf(health: unknown): FleetProblem[] {
  if (!isRecord(health) || !Array.isArray(health.problems)) return [];
  const out: FleetProblem[] = [];
  for (const p of health.problems.slice(0, MAX_PROBLEMS)) {
    if (!isRecord(p) || typeof p.code !== 'string' || !CODE.test(p.code)) continue;
    const key = typeof p.key === 'string' ? p.key : '';
    out.push({ key, code: p.code, message: typeof p.message === 'string' ? p.message : '' });
  }
  return out;
}

export function executionProviderOf(health: unknown): string | null {
  return isRecord(health) && typeof health.executionProvider === 'string' ? health.executionProvider : null;
}

export function conditionOf(row: Pick<FleetRow, 'online' | 'status' | 'health'>): {
  condition: FleetCondition;
  problems: FleetProblem[];
} {
  const problems = problemsOf(row.health);
  if (!row.online) return { condition: 'offline', problems };
  const degraded = (isRecord(row.status) && row.status.state === 'degraded') || problems.length > 0;
  return { condition: degraded ? 'degraded' : 'ok', problems };
}
