/**
 * One progress bar over a whole multi-item run (classes or categories): the bar counts items, and each item's inner
 * phases (features, training, eval…) show as `item=… phase=… 40%` beside it instead of drawing bars of their own, so
 * the ETA is the run's, not the current phase's. Inner `log` lines pass through.
 */
import type { Progress } from '../progress.js';

export interface RunProgress {
  /** The Progress to hand to one item's work (train, eval); its phases update the run's bar. */
  item(name: string): Progress;
  /** The item is finished (done now, or already done by an earlier run: `skipped`). */
  finish(name: string, note: string): void;
  /** Ends the run's bar. */
  done(): void;
}

export function runProgress(outer: Progress, items: number, label: string): RunProgress {
  outer.start(items, label);
  return {
    item(name) {
      let total = 0;
      let count = 0;
      let phase = '';
      let lastPct = -1;
      const show = (): void => {
        const pct = total > 0 ? Math.floor((100 * count) / total) : 0;
        if (pct === lastPct) return;
        lastPct = pct;
        outer.tick(0, { item: name, phase: `${phase} ${pct}%` });
      };
      return {
        start(n, phaseLabel) {
          total = n;
          count = 0;
          phase = phaseLabel;
          lastPct = -1;
          show();
        },
        tick(n = 1) {
          count += n;
          show();
        },
        done() {},
        log(line) {
          outer.log(`[${name}] ${line}`);
        },
      };
    },
    finish(name, note) {
      outer.log(`${name}: ${note}`);
      outer.tick(1, { item: name, phase: 'done' });
    },
    done: () => outer.done(),
  };
}
