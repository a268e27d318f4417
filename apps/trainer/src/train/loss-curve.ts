/**
 * The loss curve of a training run: `loss-curve.png` (mean loss per epoch, the learning rate's drops marked in the
 * title) beside the checkpoint in the run's work folder, redrawn after every epoch so an interrupted run still has
 * one, and copied into the package. The per-epoch history is kept in `loss-history.json` beside it, because after a
 * `--resume` the training engine reports only the epochs it ran itself.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linePlotSvg, svgToPng } from '@linewatch/vision';
import type { Progress } from '../progress.js';

export const LOSS_CURVE_FILE = 'loss-curve.png';
const HISTORY_FILE = 'loss-history.json';

export interface EpochLoss {
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
}

export async function lossCurvePng(history: readonly EpochLoss[], title: string): Promise<Buffer> {
  const drops = history.filter((h, i) => i > 0 && h.lr < history[i - 1]!.lr).map((h) => h.epoch);
  const svg = linePlotSvg({
    series: [{ name: 'mean loss per epoch', x: history.map((h) => h.epoch), y: history.map((h) => h.loss) }],
    title: `${title}${drops.length > 0 ? ` (lr drop at epoch ${drops.join(', ')})` : ''}`,
    xLabel: 'epoch',
    yLabel: 'loss',
    width: 640,
    height: 400,
  });
  return svgToPng(svg);
}

function readHistory(path: string): EpochLoss[] {
  if (!existsSync(path)) return [];
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return Array.isArray(v) ? (v as EpochLoss[]) : [];
  } catch {
    return []; // a torn file from a killed run: the curve restarts, training does not depend on it
  }
}

/**
 * Collects epochs as the engine reports them (synchronously) and redraws the PNG in the background, one draw at a
 * time; `finish()` waits for the last one. A failed draw is logged, never fatal: hours of training must not be lost
 * to a plot.
 */
export class LossCurveWriter {
  private readonly history: EpochLoss[];
  private drawing: Promise<void> = Promise.resolve();
  private pending = false;

  constructor(
    private readonly dir: string,
    private readonly title: string,
    private readonly progress: Progress,
    resume: boolean,
  ) {
    this.history = resume ? readHistory(join(dir, HISTORY_FILE)) : [];
  }

  get path(): string {
    return join(this.dir, LOSS_CURVE_FILE);
  }

  /** Records an epoch (a resumed run replaces what the checkpoint had not reached) and schedules a redraw. */
  add(e: EpochLoss): void {
    while (this.history.length > 0 && this.history.at(-1)!.epoch >= e.epoch) this.history.pop();
    this.history.push({ epoch: e.epoch, loss: e.loss, lr: e.lr });
    writeFileSync(join(this.dir, HISTORY_FILE), JSON.stringify(this.history));
    if (this.pending) return;
    this.pending = true;
    this.drawing = this.drawing.then(() => this.draw());
  }

  private async draw(): Promise<void> {
    this.pending = false;
    try {
      writeFileSync(this.path, await lossCurvePng(this.history, this.title));
    } catch (e) {
      this.progress.log(`loss curve not written: ${(e as Error).message}`);
    }
  }

  /** Waits for the last redraw; the PNG's bytes, or undefined when no epoch ran or the draw failed. */
  async finish(): Promise<Uint8Array | undefined> {
    await this.drawing;
    return this.history.length > 0 && existsSync(this.path) ? new Uint8Array(readFileSync(this.path)) : undefined;
  }
}
