/** Temp data dirs, keys, an initial package on disk and a config for an agent under test. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.js';
import type { AgentConfig } from '../../src/config.js';
import { makeKeys, makePackage } from './packages.js';
import type { Keys, TestPackage } from './packages.js';

export interface Fixture {
  readonly dir: string;
  readonly keys: Keys;
  readonly initial: TestPackage;
  readonly initialPath: string;
  config(overrides?: Record<string, unknown>): AgentConfig;
  cleanup(): void;
}

export async function fixture(opts: { size?: number } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-agent-'));
  const keys = makeKeys(dir);
  const initial = await makePackage(keys, {
    version: '1.0.0',
    build: 1,
    gain: 1,
    ...(opts.size ? { size: opts.size } : {}),
  });
  const initialPath = join(dir, 'initial.tar.gz');
  writeFileSync(initialPath, initial.tar);
  return {
    dir,
    keys,
    initial,
    initialPath,
    config(overrides = {}) {
      return parseConfig({
        site: 'plant-1',
        line: 'line-a',
        device: 'edge-1',
        cameras: [{ id: 'cam-1', source: { kind: 'synthetic', width: 64, height: 64, fps: 10 } }],
        inference: { executionProviders: ['cpu'], intraOpThreads: 1, warmUpRuns: 1 },
        model: { trustedKeyPath: keys.publicKeyPath, initialPackage: initialPath },
        dataDir: join(dir, 'data'),
        healthIntervalS: 1,
        logLevel: (process.env['LW_TEST_LOG'] as 'debug' | undefined) ?? 'silent',
        ...overrides,
      });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Broker-outage length for the conformance suite (LW_AGENT_OUTAGE_S, default 8 s; the scenario is 60 s). */
export function outageSeconds(): number {
  const v = Number(process.env['LW_AGENT_OUTAGE_S'] ?? 8);
  return Number.isFinite(v) && v > 0 ? v : 8;
}
