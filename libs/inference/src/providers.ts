/**
 * Execution-provider names accepted in config, and the fallback rule.
 *
 * onnxruntime-node does not fall back by itself: `executionProviders: ['cuda', 'cpu']` throws when the CUDA provider
 * library cannot load (measured with 1.30). So we try each provider on its own, in the configured order, and report
 * which one opened the model and why the earlier ones did not.
 */
import { InferenceError } from './errors.js';

export const EXECUTION_PROVIDERS = ['cuda', 'tensorrt', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export interface ProviderAttempt {
  provider: ExecutionProvider;
  ok: boolean;
  reason?: string;
}

export function parseProviders(names: readonly string[]): ExecutionProvider[] {
  if (names.length === 0) return ['cpu'];
  return names.map((n) => {
    const lower = n.trim().toLowerCase();
    if (!(EXECUTION_PROVIDERS as readonly string[]).includes(lower)) {
      throw new InferenceError('LW_INFER_PROVIDER_UNKNOWN', `unknown execution provider "${n}"`, {
        provider: n,
        known: [...EXECUTION_PROVIDERS],
      });
    }
    return lower as ExecutionProvider;
  });
}

/** First line of an onnxruntime message: the rest is a C++ stack that helps nobody reading a health report. */
export function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? text).slice(0, 300);
}
