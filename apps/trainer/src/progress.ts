/**
 * A progress bar with ETA for long loops (evaluation now, training later). On a TTY it redraws one line at most
 * ~10 times a second; elsewhere (CI logs, job runners) it prints a plain line every ~10 % so logs stay short.
 */
export type ProgressExtra = Readonly<Record<string, string | number>>;

export interface Progress {
  /** Begins a phase of `total` units (images, steps…) named `label`. */
  start(total: number, label: string): void;
  /** `n` more units are done (default 1); `extra` fields (e.g. `{ loss: 0.123 }`) are shown after the counts. */
  tick(n?: number, extra?: ProgressExtra): void;
  /** Ends the phase: prints the final state and a newline. */
  done(): void;
  /** Prints a line without breaking the bar (e.g. "epoch 3: val AUROC 0.97"). */
  log(line: string): void;
}

export interface ProgressStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
}

export interface ProgressOptions {
  /** Force TTY or line mode (default: the stream's isTTY). */
  readonly tty?: boolean;
  /** Clock in ms, injectable for tests. */
  readonly now?: () => number;
  readonly width?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

function formatExtra(extra: ProgressExtra): string {
  return Object.entries(extra)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v}`)
    .join(' ');
}

/** One phase's bar: what is drawn, and when it was last drawn. */
interface Bar {
  total: number;
  count: number;
  label: string;
  t0: number;
  lastDraw: number;
  lastDecile: number;
  active: boolean;
  extra: ProgressExtra;
}

interface BarStyle {
  readonly tty: boolean;
  readonly now: () => number;
  readonly barWidth: number;
}

function renderBar(b: Bar, { tty, now, barWidth }: BarStyle): string {
  const elapsed = (now() - b.t0) / 1000;
  const { total, count } = b;
  const frac = total > 0 ? Math.min(1, count / total) : 1;
  const eta = count > 0 && count < total ? (elapsed / count) * (total - count) : count >= total ? 0 : NaN;
  const filled = Math.round(frac * barWidth);
  const bar = tty ? ` [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]` : '';
  const ex = formatExtra(b.extra);
  return `${b.label}${bar} ${count}/${total} ${Math.floor(frac * 100)}% elapsed ${formatDuration(elapsed)} eta ${formatDuration(eta)}${ex ? ` ${ex}` : ''}`;
}

/** TTY: redraws the line at most every 100 ms. Elsewhere: a new line per tenth of the phase. `force` draws anyway. */
function drawBar(stream: ProgressStream, b: Bar, style: BarStyle, force: boolean): void {
  if (style.tty) {
    const t = style.now();
    if (!force && t - b.lastDraw < 100) return;
    b.lastDraw = t;
    stream.write(`\r\x1b[2K${renderBar(b, style)}`);
  } else {
    const decile = b.total > 0 ? Math.floor((10 * b.count) / b.total) : 10;
    if (!force && decile === b.lastDecile) return;
    b.lastDecile = decile;
    stream.write(`${renderBar(b, style)}\n`);
  }
}

export function createProgress(stream: ProgressStream, opts: ProgressOptions = {}): Progress {
  const style: BarStyle = {
    tty: opts.tty ?? stream.isTTY === true,
    now: opts.now ?? (() => performance.now()),
    barWidth: opts.width ?? 24,
  };
  const { tty } = style;
  const b: Bar = {
    total: 0,
    count: 0,
    label: '',
    t0: 0,
    lastDraw: -Infinity,
    lastDecile: -1,
    active: false,
    extra: {},
  };
  const draw = (force: boolean): void => drawBar(stream, b, style, force);

  return {
    start(n, name) {
      b.total = Math.max(0, Math.floor(n));
      b.label = name;
      b.count = 0;
      b.extra = {};
      b.t0 = style.now();
      b.lastDraw = -Infinity;
      b.lastDecile = -1;
      b.active = true;
      draw(true);
    },
    tick(n = 1, ex) {
      b.count += n;
      if (ex) b.extra = { ...b.extra, ...ex };
      draw(false);
    },
    done() {
      if (!b.active) return;
      b.active = false;
      if (tty) {
        draw(true);
        stream.write('\n');
      } else if (b.lastDecile !== 10 || b.count !== b.total) draw(true);
    },
    log(line) {
      if (tty && b.active) stream.write(`\r\x1b[2K${line}\n`);
      else stream.write(`${line}\n`);
      if (tty && b.active) draw(true);
    },
  };
}

/** A progress sink that prints nothing (tests, `--quiet`). */
export const silentProgress: Progress = { start() {}, tick() {}, done() {}, log() {} };
