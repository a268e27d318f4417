import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Manifest } from '@linewatch/protocol';
import { createImage, IMAGENET_SETTINGS } from '@linewatch/vision';
import { inputBuffers, LoadedModel } from '../src/model/loaded-model.js';
import { MAX_AUTO_SESSIONS, openPool, planSessions } from '../src/model/runner-pool.js';
import type { FrameInput, ModelRunner, RunnerOpener, RunOutput, SessionOpenOptions } from '../src/model/runner.js';
import { fixture } from './helpers/config-fixture.js';
import { uniformScore } from './helpers/tiny-model.js';

test('planSessions: one single-threaded CPU session per core up to the cap, one session on a GPU, explicit settings win', () => {
  assert.deepEqual(planSessions('cpu', 'auto', undefined, 1), { sessions: 1, intraOpThreads: 1 });
  assert.deepEqual(planSessions('cpu', 'auto', undefined, 2), { sessions: 2, intraOpThreads: 1 });
  assert.deepEqual(planSessions('cpu', 'auto', undefined, 16), {
    sessions: MAX_AUTO_SESSIONS,
    intraOpThreads: 16 / MAX_AUTO_SESSIONS,
  });
  assert.deepEqual(planSessions('cpu', 'auto', 3, 2), { sessions: 2, intraOpThreads: 3 });
  assert.deepEqual(planSessions('cuda', 'auto', undefined, 16), { sessions: 1, intraOpThreads: undefined });
  assert.deepEqual(planSessions('cuda', 3, undefined, 16), { sessions: 3, intraOpThreads: undefined });
  assert.deepEqual(planSessions('cpu', 1, undefined, 16), { sessions: 1, intraOpThreads: undefined });
  assert.equal(inputBuffers(1), 2, 'one session is double-buffered');
  assert.equal(inputBuffers(3), 3, 'a pool takes a frame only when a session is free');
});

/** A fake session: records what it ran, finishes after the delay the test chose for that frame. */
function fakeOpener(
  log: { opened: SessionOpenOptions[]; running: number; maxRunning: number; order: number[]; released: number },
  delayOf: (f: FrameInput) => number,
  failAt = -1,
): RunnerOpener {
  return async (_model, options) => {
    if (log.opened.length === failAt) {
      log.opened.push(options);
      throw new Error('cannot open');
    }
    log.opened.push(options);
    const runner: ModelRunner = {
      provider: options.executionProviders[0] === 'cuda' ? 'cuda' : 'cpu',
      attempts: [],
      inputs: [],
      outputNames: [],
      async run(frame): Promise<RunOutput> {
        log.order.push(frame.pixels[0]!);
        log.running++;
        log.maxRunning = Math.max(log.maxRunning, log.running);
        await new Promise((r) => setTimeout(r, delayOf(frame)));
        log.running--;
        return {
          ok: true,
          pixels: frame.pixels,
          score: frame.pixels[0]!,
          map: { width: 1, height: 1, data: new Float32Array(1) },
        };
      },
      release: async () => {
        log.released++;
      },
    };
    return runner;
  };
}

const preprocess = IMAGENET_SETTINGS;
const frame = (tag: number): FrameInput => ({ pixels: new Uint8Array([tag, 0, 0]), width: 1, height: 1 });

test('a pool runs at most one frame per session, starts them in submission order, and every result reaches its caller', async () => {
  const log = { opened: [] as SessionOpenOptions[], running: 0, maxRunning: 0, order: [] as number[], released: 0 };
  // Frame 0 is slow, so frames 1.. finish first on the other session: results must still reach the right callers.
  const { runner, plan } = await openPool(
    fakeOpener(log, (f) => (f.pixels[0] === 0 ? 60 : 5)),
    new Uint8Array(1),
    { executionProviders: ['cpu'], preprocess },
    2,
  );
  assert.equal(plan.sessions, 2);
  assert.equal(runner.parallelism, 2);
  const outs = await Promise.all(Array.from({ length: 6 }, (_, i) => runner.run(frame(i))));
  assert.deepEqual(
    outs.map((o) => (o.ok ? o.score : -1)),
    [0, 1, 2, 3, 4, 5],
  );
  assert.deepEqual(log.order, [0, 1, 2, 3, 4, 5], 'started in submission order');
  assert.equal(log.maxRunning, 2);
  await runner.release();
  assert.equal(log.released, 2);
});

test('auto on the CPU reopens the first session single-threaded and pins every session to the provider that opened', async () => {
  const log = { opened: [] as SessionOpenOptions[], running: 0, maxRunning: 0, order: [] as number[], released: 0 };
  const { plan } = await openPool(
    fakeOpener(log, () => 1),
    new Uint8Array(1),
    { executionProviders: ['tensorrt', 'cpu'], preprocess },
    'auto',
  );
  assert.equal(log.opened[0]!.intraOpThreads, undefined, 'first open with the configured threads');
  assert.equal(log.released, 1, 'the first session was reopened with the plan');
  for (const o of log.opened.slice(1)) {
    assert.deepEqual(o.executionProviders, ['cpu']);
    assert.equal(o.intraOpThreads, plan.intraOpThreads);
  }
  assert.equal(log.opened.length, 1 + plan.sessions);
});

test('a session that cannot be opened fails the pool and releases the ones that did', async () => {
  const log = { opened: [] as SessionOpenOptions[], running: 0, maxRunning: 0, order: [] as number[], released: 0 };
  await assert.rejects(
    openPool(
      fakeOpener(log, () => 1, 2),
      new Uint8Array(1),
      { executionProviders: ['cpu'], intraOpThreads: 1, preprocess },
      3,
    ),
    /cannot open/,
  );
  assert.equal(log.released, log.opened.length - 1, 'every opened session released');
});

test('a real two-session model scores frames correctly in parallel worker threads and releases cleanly', async () => {
  const fx = await fixture();
  try {
    const manifest = JSON.parse(
      Buffer.from(fx.initial.entries.find((e) => e.path === 'manifest.json')!.data).toString(),
    ) as Manifest;
    const bytes = fx.initial.entries.find((e) => e.path === 'model.onnx')!.data;
    const m = await LoadedModel.load('1.0.0+1', manifest, bytes, {
      executionProviders: ['cpu'],
      intraOpThreads: 1,
      warmUpRuns: 1,
      sessions: 2,
    });
    try {
      assert.equal(m.plan.sessions, 2);
      assert.equal(m.buffers, 2);
      const levels = [10, 60, 120, 180, 240, 30, 90, 150];
      const results = await Promise.all(levels.map((v, i) => m.infer(createImage(64 + 8 * (i % 2), 48, [v, v, v]))));
      results.forEach((r, i) =>
        assert.ok(Math.abs(r.score - uniformScore(levels[i]!, 1)) < 1e-4, `frame ${i}: ${r.score}`),
      );
      await assert.rejects(m.infer({ width: 4, height: 4, channels: 3, data: new Uint8Array(5) }), /5 bytes for 4x4/);
    } finally {
      await m.release();
    }
  } finally {
    fx.cleanup();
  }
});

/** Sessions whose worker "dies" on a frame tagged 255; opening fails while `failOpens` > 0. */
function mortalOpener(state: { opens: number; failOpens: number }): RunnerOpener {
  return async () => {
    state.opens++;
    if (state.failOpens > 0) {
      state.failOpens--;
      throw new Error('device busy');
    }
    let dead: string | undefined;
    return {
      provider: 'cpu',
      attempts: [],
      inputs: [],
      outputNames: [],
      get dead() {
        return dead;
      },
      async run(frame): Promise<RunOutput> {
        await new Promise((r) => setTimeout(r, 2));
        if (dead !== undefined || frame.pixels[0] === 255) {
          dead = 'inference worker exited (1)';
          return { ok: false, pixels: frame.pixels, reason: dead };
        }
        return {
          ok: true,
          pixels: frame.pixels,
          score: frame.pixels[0]!,
          map: { width: 1, height: 1, data: new Float32Array(1) },
        };
      },
      release: async () => undefined,
    };
  };
}

test('a session whose worker dies is reopened with backoff; frames queued meanwhile run on it, none is lost', async () => {
  const state = { opens: 0, failOpens: 0 };
  const events: string[] = [];
  const { runner } = await openPool(
    mortalOpener(state),
    new Uint8Array(1),
    { executionProviders: ['cpu'], intraOpThreads: 1, preprocess },
    1,
    {
      lost: (r) => events.push(`lost: ${r}`),
      restored: () => events.push('restored'),
    },
  );
  try {
    const dying = runner.run(frame(255));
    const queued = [runner.run(frame(1)), runner.run(frame(2))];
    const d = await dying;
    assert.equal(d.ok, false);
    assert.equal(d.pixels[0], 255, 'the pixel buffer comes back even from a dead session');
    const outs = await Promise.all(queued);
    assert.deepEqual(
      outs.map((o) => (o.ok ? o.score : o.reason)),
      [1, 2],
    );
    assert.equal(state.opens, 2);
    assert.deepEqual(events, ['lost: inference worker exited (1)', 'restored']);
  } finally {
    await runner.release();
  }
});

test('while no session can be reopened, queued frames fail with the reason instead of waiting forever; then it recovers', async () => {
  const state = { opens: 0, failOpens: 0 };
  const events: string[] = [];
  const { runner } = await openPool(
    mortalOpener(state),
    new Uint8Array(1),
    { executionProviders: ['cpu'], intraOpThreads: 1, preprocess },
    1,
    {
      lost: (r) => events.push(r),
      restored: () => events.push('restored'),
    },
  );
  try {
    state.failOpens = 1;
    await runner.run(frame(255));
    const waiting = await runner.run(frame(3));
    assert.equal(waiting.ok, false);
    assert.match(waiting.ok ? '' : waiting.reason, /cannot reopen the inference session: device busy/);
    // The next attempt (after a doubled backoff) succeeds.
    const deadline = Date.now() + 5000;
    let out = await runner.run(frame(4));
    while (!out.ok && Date.now() < deadline) out = await runner.run(frame(4));
    assert.equal(out.ok && out.score, 4);
    assert.equal(events.at(-1), 'restored');
  } finally {
    await runner.release();
  }
  const after = await runner.run(frame(5));
  assert.equal(after.ok, false, 'a released pool refuses');
});
