/**
 * `--providers` / `--threads` / `--device-id`, the same onnxruntime knobs the agent takes, for train, finetune, eval
 * and worker. Parsed once into an OrtRuntime (train/options.ts) that the pipeline hands to the training engine and
 * to every inference session it opens.
 *
 * Training runs its graph on `cuda` or `cpu` only (TensorRT builds inference engines, it does not train), and a
 * training run that asked for CUDA fails rather than silently falling back to CPU (libs/graph's rule): so train,
 * finetune and worker take exactly one provider; eval takes a fallback list like the agent.
 */
import { SUPPORTED_PROVIDERS, type SupportedProvider } from '@linewatch/inference';
import { TrainerError } from '../errors.js';
import type { OrtRuntime } from '../train/options.js';
import { nonNegativeInt, positiveInt, str } from './args.js';
import type { FlagSpec, FlagValues } from './command.js';

export const MAX_DEVICE_ID = 64;

export function runtimeFlags(use: 'train' | 'eval'): Record<'providers' | 'threads' | 'device-id', FlagSpec> {
  return {
    providers: {
      type: 'string',
      value: use === 'train' ? '<cpu|cuda>' : '<cuda,cpu>',
      description:
        use === 'train'
          ? 'onnxruntime execution provider for training and scoring: cpu (default) or cuda (no fallback)'
          : 'onnxruntime execution providers, tried in order (default cpu; cuda, tensorrt, cpu)',
    },
    threads: { type: 'string', value: '<n>', description: 'onnxruntime intra-op threads (default 2)' },
    'device-id': { type: 'string', value: '<n>', description: 'GPU ordinal for cuda/tensorrt (default 0)' },
  };
}

export function parseRuntime(values: FlagValues, use: 'train' | 'eval'): OrtRuntime {
  const providers = (str(values, 'providers') ?? 'cpu').split(',').map((p) => p.trim().toLowerCase());
  const unknown = providers.find((p) => !(SUPPORTED_PROVIDERS as readonly string[]).includes(p));
  if (unknown !== undefined) {
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      `--providers: unknown provider ${JSON.stringify(unknown)} (known: ${SUPPORTED_PROVIDERS.join(', ')})`,
      { flag: 'providers', value: unknown },
    );
  }
  if (use === 'train' && (providers.length !== 1 || providers[0] === 'tensorrt')) {
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      `--providers: training runs on exactly one of cpu or cuda, got ${JSON.stringify(providers.join(','))}`,
      { flag: 'providers', value: providers.join(',') },
    );
  }
  const threads = str(values, 'threads') === undefined ? undefined : positiveInt(values, 'threads', 2, 256);
  const deviceId =
    str(values, 'device-id') === undefined ? undefined : nonNegativeInt(values, 'device-id', MAX_DEVICE_ID);
  if (deviceId !== undefined && !providers.some((p) => p !== 'cpu')) {
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      '--device-id needs a GPU provider in --providers (cuda or tensorrt)',
      {
        flag: 'device-id',
      },
    );
  }
  return {
    providers: providers as SupportedProvider[],
    ...(threads !== undefined ? { threads } : {}),
    ...(deviceId !== undefined ? { deviceId } : {}),
  };
}
