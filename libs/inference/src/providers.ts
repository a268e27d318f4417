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

/** Per-provider settings passed through to onnxruntime (ignored by providers they do not concern). */
export interface ProviderSettings {
  /** GPU ordinal for `cuda` and `tensorrt` (onnxruntime's `deviceId`). Default 0. */
  readonly deviceId?: number;
  /** TensorRT only: where built engines are cached (a rebuild takes minutes), and whether FP16 kernels are allowed. */
  readonly tensorrt?: { readonly engineCacheDir?: string; readonly fp16?: boolean };
}

/** One provider's entry for onnxruntime's `executionProviders`: a plain name, or an object with its options. */
export type ProviderConfig = SupportedProvider | ({ readonly name: 'cuda' | 'tensorrt' } & Record<string, unknown>);

/**
 * onnxruntime's config for one provider. TensorRT takes its documented provider-option keys (`trt_fp16_enable`,
 * `trt_engine_cache_enable`, `trt_engine_cache_path`), string-valued as onnxruntime's options map expects.
 */
export function providerConfig(provider: SupportedProvider, settings: ProviderSettings = {}): ProviderConfig {
  if (provider === 'cpu') return provider;
  const deviceId = settings.deviceId !== undefined ? { deviceId: settings.deviceId } : {};
  if (provider === 'cuda') return settings.deviceId !== undefined ? { name: 'cuda', ...deviceId } : provider;
  const trt = settings.tensorrt ?? {};
  const options: Record<string, string> = {
    ...(trt.fp16 !== undefined ? { trt_fp16_enable: trt.fp16 ? '1' : '0' } : {}),
    ...(trt.engineCacheDir ? { trt_engine_cache_enable: '1', trt_engine_cache_path: trt.engineCacheDir } : {}),
  };
  if (Object.keys(options).length === 0 && settings.deviceId === undefined) return provider;
  return { name: 'tensorrt', ...deviceId, ...options };
}

/** First line of an onnxruntime message: the rest is a C++ stack that helps nobody reading a health report. */
export function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? text).slice(0, 300);
}
