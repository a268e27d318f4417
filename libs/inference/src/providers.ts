/**
 * Execution-provider names accepted in config, and the fallback rule.
 *
 * onnxruntime-node does not fall back by itself: `executionProviders: ['cuda', 'cpu']` throws when the CUDA provider
 * library cannot load (measured with 1.30). So we try each provider on its own, in the configured order, and report
 * which one opened the model and why the earlier ones did not.
 */
import type { ExecutionProvider } from '@linewatch/protocol';
import { InferenceError } from './errors.js';

/**
 * The providers this package opens (onnxruntime-node's Linux builds): a subset of the protocol's
 * `EXECUTION_PROVIDERS`, which is where the `ExecutionProvider` type lives.
 */
export const SUPPORTED_PROVIDERS = ['cuda', 'tensorrt', 'cpu'] as const satisfies readonly ExecutionProvider[];
export type SupportedProvider = (typeof SUPPORTED_PROVIDERS)[number];

export interface ProviderAttempt {
  provider: ExecutionProvider;
  ok: boolean;
  reason?: string;
}

function isSupported(name: string): name is SupportedProvider {
  return (SUPPORTED_PROVIDERS as readonly string[]).includes(name);
}

export function parseProviders(names: readonly string[]): SupportedProvider[] {
  if (names.length === 0) return ['cpu'];
  return names.map((n) => {
    const lower = n.trim().toLowerCase();
    if (!isSupported(lower)) {
      throw new InferenceError('LW_INFER_PROVIDER_UNKNOWN', `unknown execution provider "${n}"`, {
        provider: n,
        known: [...SUPPORTED_PROVIDERS],
      });
    }
    return lower;
  });
}

/** First line of an onnxruntime message: the rest is a C++ stack that helps nobody reading a health report. */
export function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? text).slice(0, 300);
}
