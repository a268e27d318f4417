/**
 * The field-install test's device side after enrollment: cameras added to the enrolled config, the installed agent
 * run from its bin (stopped with SIGTERM), and the admin's view of it (fleet, events) and of rollouts to its line.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { ApiClient } from '@linewatch/protocol/client';
import {
  ApproveModelRoute,
  FleetRoute,
  GetRolloutRoute,
  StartRolloutRoute,
  type FleetEntry,
} from '@linewatch/protocol/http';
import { waitFor } from './helpers.js';

export type Camera = { id: string; source: Record<string, unknown>; threshold?: number };

/** Adds cameras to an enrolled config (keeps its mode 0600 and everything enrollment wrote); returns the device id. */
export function addCameras(configPath: string, cameras: Camera[]): string {
  const raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(configPath, `${JSON.stringify({ ...raw, cameras }, null, 2)}\n`, { mode: 0o600 });
  return String(raw['device']);
}

export type RunningAgent = { output: () => string; stop: () => Promise<number | null> };

/** `linewatch-agent run --config <file>` from the install folder; `stop` sends SIGTERM (SIGKILL after 20 s). */
export function runAgent(bin: string, configPath: string, cwd: string): RunningAgent {
  const child = spawn(bin, ['run', '--config', configPath], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Rollout policy overrides small enough for a test on one device: the canary (the only device) observes a few
 * seconds and frames. Every frame is flagged on both versions (threshold near 0), so the flag-rate gate is given an
 * absolute ceiling of 100 %; the QA and health gates have nothing to measure in a minute and are not what this shows.
 */
export const FAST_POLICY = {
  requireEligible: false,
  canaryDevices: 1,
  observeS: 2,
  minFrames: 4,
  minBaselineFrames: 4,
  flagNoBaselineMax: 1,
  minWaveIntervalS: 0,
  installTimeoutS: 90,
  requireHealth: false,
  healthGraceS: 0,
  // The swap's model load shows in one latency window; a tiny model on a busy test box must not fail on it.
  latencySlackMs: 1000,
};

/**
 * Approves `version` (without the approval's own rollout), starts its rollout on line-1 through the rollout API with
 * the fast policy, and waits until it completes (its decisions in the failure message).
 */
export async function rollOut(admin: ApiClient, version: string, timeoutMs: number): Promise<void> {
  await admin.call(ApproveModelRoute, { params: { version }, body: { startRollout: false } });
  const started = await admin.call(StartRolloutRoute, { body: { version, line: 'line-1', policy: FAST_POLICY } });
  const id = started.rollout.id;
  let last = started;
  await waitFor(
    `rollout of ${version} completed`,
    async () => {
      last = await admin.call(GetRolloutRoute, { params: { id } });
      if (['aborted', 'rolled-back', 'rolling-back'].includes(last.rollout.state))
        throw new Error(`rollout ${last.rollout.state}: ${last.rollout.reason}`);
      return last.rollout.state === 'completed' ? true : undefined;
    },
    timeoutMs,
    500,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}; decisions: ${last.decisions.map((d) => `${d.action}: ${d.reason}`).join(' | ')}`);
  });
}

/** The device's fleet entry once `ok(entry)` holds. */
export function fleetEntry(
  admin: ApiClient,
  deviceId: string,
  what: string,
  ok: (e: FleetEntry) => boolean,
  timeoutMs: number,
): Promise<FleetEntry> {
  return waitFor(
    what,
    async () => {
      const { devices } = await admin.call(FleetRoute);
      const e = devices.find((d) => d.deviceId === deviceId);
      return e && ok(e) ? e : undefined;
    },
    timeoutMs,
    500,
  );
}
