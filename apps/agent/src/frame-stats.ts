/**
 * Cheap per-frame statistics for camera-fault and drift alerts (issue #20): a fixed 8×8 grid of pixels per frame —
 * 64 reads whatever the resolution, into buffers allocated once per camera — gives a frozen frame (grid identical to
 * the previous frame's), a black one (mean luma < 16) and an over-exposed one (half the grid at luma ≥ 250).
 */
import type { RgbImage } from '@linewatch/vision';

const GRID = 8;
const CELLS = GRID * GRID;
export const DARK_LUMA = 16;
export const SATURATED_LUMA = 250;

export interface FrameStatsSummary {
  frozen: number;
  dark: number;
  saturated: number;
  lumaMean: number;
}

export class FrameStats {
  private prev = new Uint8Array(CELLS);
  private cur = new Uint8Array(CELLS);
  private havePrev = false;
  private frames = 0;
  private frozen = 0;
  private dark = 0;
  private saturated = 0;
  private lumaSum = 0;

  add(img: RgbImage): void {
    const { width: w, height: h, data } = img;
    if (w < 1 || h < 1) return;
    let sum = 0;
    let bright = 0;
    let same = this.havePrev;
    for (let gy = 0; gy < GRID; gy++) {
      const row = Math.floor(((gy + 0.5) * h) / GRID) * w;
      for (let gx = 0; gx < GRID; gx++) {
        const i = (row + Math.floor(((gx + 0.5) * w) / GRID)) * 3;
        // Integer Rec. 601 luma: (77 R + 150 G + 29 B) / 256.
        const y = (77 * (data[i] ?? 0) + 150 * (data[i + 1] ?? 0) + 29 * (data[i + 2] ?? 0)) >> 8;
        const k = gy * GRID + gx;
        if (same && this.prev[k] !== y) same = false;
        this.cur[k] = y;
        sum += y;
        if (y >= SATURATED_LUMA) bright++;
      }
    }
    const swap = this.prev;
    this.prev = this.cur;
    this.cur = swap;
    this.havePrev = true;
    const mean = sum / CELLS;
    this.frames++;
    this.lumaSum += mean;
    if (same) this.frozen++;
    if (mean < DARK_LUMA) this.dark++;
    if (bright * 2 >= CELLS) this.saturated++;
  }

  /** The window's figures (undefined when no frame was seen), then a fresh window (the previous grid is kept). */
  take(): FrameStatsSummary | undefined {
    if (this.frames === 0) return undefined;
    const s = {
      frozen: this.frozen,
      dark: this.dark,
      saturated: this.saturated,
      lumaMean: Math.min(255, this.lumaSum / this.frames),
    };
    this.frames = this.frozen = this.dark = this.saturated = this.lumaSum = 0;
    return s;
  }
}
