/**
 * One conformance suite for every LinePort implementation (the real agent's and the in-memory one the adapters are
 * tested against), so an adapter that passes against MemoryLinePort behaves the same on a running agent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VerdictMessage } from '@linewatch/protocol';
import { isAgentError } from '../../src/errors.js';
import type { LinePort } from '../../src/line/port.js';

export interface LinePortHarness {
  readonly port: LinePort;
  /** A free-running camera and a trigger camera the port knows. */
  readonly freeCamera: string;
  readonly triggerCamera: string;
  /** Makes the port see a scored frame of the free camera. */
  produce(frame: number, score: number, threshold: number): void;
  /** Scores the trigger camera's captures will get. */
  scoreCapturesAs(score: number, threshold: number): void;
  close(): Promise<void>;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => isAgentError(e) && e.code === code);
}

export function linePortConformance(name: string, make: () => Promise<LinePortHarness>): void {
  describe(`LinePort conformance: ${name}`, () => {
    const withHarness = (fn: (h: LinePortHarness) => Promise<void>) => async (): Promise<void> => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    };

    test(
      'lists its cameras with their kind; counters start at zero; unknown cameras are coded errors',
      withHarness(async (h) => {
        const cams = new Map(h.port.cameras().map((c) => [c.id, c]));
        assert.equal(cams.get(h.freeCamera)?.trigger, false);
        assert.equal(cams.get(h.triggerCamera)?.trigger, true);
        assert.deepEqual(h.port.counters(h.freeCamera), { ok: 0, anomalous: 0, uncertain: 0, dropped: 0 });
        assert.equal(h.port.lastVerdict(h.freeCamera), undefined);
        assert.throws(
          () => h.port.counters('no-such-camera'),
          (e: unknown) => isAgentError(e) && e.code === 'LW_AGENT_UNKNOWN_CAMERA',
        );
      }),
    );

    test(
      'every verdict reaches each listener in order, is counted and becomes the last one; unsubscribe stops it',
      withHarness(async (h) => {
        const seen: VerdictMessage[] = [];
        const off = h.port.onVerdict((v) => seen.push(v));
        h.produce(1, 0.2, 0.5);
        h.produce(2, 0.9, 0.5);
        h.produce(3, 0.1, 0.5);
        assert.deepEqual(
          seen.map((v) => [v.frame, v.verdict]),
          [
            [1, 'ok'],
            [2, 'anomalous'],
            [3, 'ok'],
          ],
        );
        assert.ok(Math.abs(seen[1]!.normalized - 0.9 / 0.5) < 1e-9, 'normalized = score ÷ threshold');
        assert.equal(seen[1]!.camera, h.freeCamera);
        assert.deepEqual(h.port.lastVerdict(h.freeCamera)?.frame, 3);
        const c = h.port.counters(h.freeCamera);
        assert.deepEqual([c.ok, c.anomalous, c.uncertain], [2, 1, 0]);
        off();
        h.produce(4, 0.9, 0.5);
        assert.equal(seen.length, 3, 'no delivery after unsubscribe');
      }),
    );

    test(
      'capture: refuses unknown and free-running cameras with coded errors',
      withHarness(async (h) => {
        await rejectsWith(h.port.capture({ camera: 'no-such-camera' }), 'LW_AGENT_UNKNOWN_CAMERA');
        await rejectsWith(h.port.capture({ camera: h.freeCamera, partId: 'P-1' }), 'LW_AGENT_NOT_TRIGGER_CAMERA');
      }),
    );

    test(
      "capture: a trigger camera's verdict carries the part id, goes to listeners and is counted",
      withHarness(async (h) => {
        h.scoreCapturesAs(0.8, 0.5);
        const seen: VerdictMessage[] = [];
        h.port.onVerdict((v) => seen.push(v));
        const v = await h.port.capture({ camera: h.triggerCamera, partId: 'SN-0042' });
        assert.equal(v.camera, h.triggerCamera);
        assert.equal(v.partId, 'SN-0042');
        assert.equal(v.verdict, 'anomalous');
        assert.deepEqual(seen, [v]);
        assert.deepEqual(h.port.lastVerdict(h.triggerCamera), v);
        assert.equal(h.port.counters(h.triggerCamera).anomalous, 1);
      }),
    );
  });
}
