/** A broker outage is logged at a growing interval, not once per reconnect attempt; the reconnect says how long it was. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from '../src/agent.js';
import type { Level } from '../src/log.js';
import { OUTAGE_LOG_MAX_GAP_MS, OUTAGE_LOG_MIN_GAP_MS, OutageLog } from '../src/mqtt/outage.js';
import { aedesBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { waitFor } from './helpers/controller.js';

let fx: Fixture;
before(async () => {
  fx = await fixture();
});
after(() => fx.cleanup());

/** Drives an OutageLog with a fake clock: one failed attempt every `everyMs` for `forMs`; returns the logged times. */
function simulate(
  log: OutageLog,
  clock: { t: number },
  everyMs: number,
  forMs: number,
): { at: number; attempts: number; unlogged: number }[] {
  const lines: { at: number; attempts: number; unlogged: number }[] = [];
  const end = clock.t + forMs;
  for (; clock.t < end; clock.t += everyMs) {
    log.attempt();
    const line = log.failed();
    if (line) lines.push({ at: clock.t, attempts: line.attempts, unlogged: line.unlogged });
  }
  return lines;
}

test('outage log: first failure at once, then after 1 s, 2 s, 4 s …; every failure is accounted for', () => {
  const clock = { t: 50_000 };
  const log = new OutageLog(() => clock.t);
  const lines = simulate(log, clock, 100, 10_000);
  assert.deepEqual(
    lines.map((l) => l.at - 50_000),
    [0, 1000, 3000, 7000],
  );
  assert.deepEqual(
    lines.map((l) => l.attempts),
    [1, 11, 31, 71],
  );
  assert.deepEqual(
    lines.map((l) => l.unlogged),
    [0, 9, 19, 39],
  );
});

test('outage log: the interval is capped, so a day-long outage still shows up regularly', () => {
  const clock = { t: 0 };
  const log = new OutageLog(() => clock.t);
  const lines = simulate(log, clock, 1000, 24 * 3600_000);
  const gaps = lines.slice(1).map((l, i) => l.at - lines[i]!.at);
  assert.equal(gaps[0], OUTAGE_LOG_MIN_GAP_MS);
  for (let i = 1; i < gaps.length; i++)
    assert.ok(gaps[i]! >= gaps[i - 1]!, 'the interval never shrinks during an outage');
  assert.equal(Math.max(...gaps), OUTAGE_LOG_MAX_GAP_MS);
  // 86,400 failures, 296 lines: 10 while the interval doubles up to 5 min, then one every 5 min.
  assert.equal(lines.length, 10 + Math.floor((24 * 3600_000 - 511_000) / OUTAGE_LOG_MAX_GAP_MS));
});

test('outage log: recovery reports length and attempts once, and the next outage starts over', () => {
  const clock = { t: 0 };
  const log = new OutageLog(() => clock.t);
  log.attempt();
  assert.equal(log.recovered(), undefined, 'a first connect that worked ends no outage');
  clock.t = 10_000;
  log.lost();
  simulate(log, clock, 250, 5000);
  clock.t += 300;
  log.attempt();
  assert.deepEqual(log.recovered(), { downMs: 5300, attempts: 21 });
  assert.equal(log.recovered(), undefined);
  log.lost();
  log.attempt();
  assert.equal(log.failed()?.attempts, 1, 'a new outage logs its first failure at once');
});

test(
  'broker down: a bounded outage logs a handful of warnings, not one per attempt, and one line on reconnect',
  { timeout: 60_000 },
  async () => {
    const broker = await aedesBroker(); // not started yet: its port refuses connections
    const lines: { level: Level; msg: string; details: Record<string, unknown> }[] = [];
    const agent = await build({
      config: fx.config({ dataDir: `${fx.dir}/outage`, broker: { url: broker.url, reconnectMs: 100 } }),
      logger: (level, msg, details) => lines.push({ level, msg, details: details ?? {} }),
    });
    const warnings = (): typeof lines => lines.filter((l) => l.details['code'] === 'LW_AGENT_MQTT');
    agent.start();
    try {
      await waitFor(
        'failed attempts',
        () => ((warnings().at(-1)?.details['attempts'] as number | undefined) ?? 0) >= 10,
        20_000,
      );
      const seen = warnings();
      // Unpaced, each of the ≥ 10 attempts (one per 100 ms) would have been a warning.
      assert.ok(seen.length <= 4, `${seen.length} warnings for ${String(seen.at(-1)!.details['attempts'])} attempts`);
      assert.ok((seen.at(-1)!.details['unlogged'] as number) > 0);
      assert.match(seen[0]!.msg, /ECONNREFUSED.*broker unreachable for [\d.]+ s, 1 attempts/);
      await broker.start();
      await waitFor('reconnect line', () => lines.some((l) => /unreachable, \d+ attempts/.test(l.msg)), 20_000);
      const back = lines.find((l) => /unreachable, \d+ attempts/.test(l.msg))!;
      assert.equal(back.level, 'info');
      assert.ok((back.details['attempts'] as number) > (seen.at(-1)!.details['attempts'] as number));
      assert.ok((back.details['downMs'] as number) >= (seen.at(-1)!.details['downMs'] as number));
      assert.ok(agent.link.connected);
    } finally {
      await agent.stop();
      await broker.stop();
    }
  },
);
