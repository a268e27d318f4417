// No lost work: unsaved mask strokes go to a server-side draft (PUT /api/events/:id/draft), debounced while
// painting, and are restored when the reviewer returns. Leaving the event awaits `flush()` first, so j/k/n/p/Esc
// never drop strokes; saving the mask calls `settle()` first, so no late draft write recreates the draft the
// server deletes with the mask. Saves run one at a time, in order.
import { api } from './api.js';
/** @import { Painter } from './painter.js' */

const DEBOUNCE_MS = 600;

/** @typedef {'none' | 'unsaved' | 'saving' | 'saved' | 'restored' | 'failed' | 'mask-saved'} DraftState */

export class DraftKeeper {
  /**
   * @param {string} base the event's API path
   * @param {Painter} painter
   * @param {(s: DraftState) => void} show
   */
  constructor(base, painter, show) {
    this.base = base;
    this.painter = painter;
    this.show = show;
    /** strokes changed since the last successful draft save */
    this.due = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {Promise<void>} the last save, settled or not */
    this.last = Promise.resolve();
  }

  /** The strokes changed: save them a moment after the reviewer pauses. */
  schedule() {
    this.due = true;
    this.show('unsaved');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush().catch(() => {}), DEBOUNCE_MS);
  }

  /** Whether strokes are not yet on the server. */
  get pending() {
    return this.due;
  }

  /**
   * Saves the strokes now if they changed; resolves once the server has them, rejects when it could not (the
   * strokes stay due, so the next flush tries again).
   * @returns {Promise<void>}
   */
  flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.due) return this.last.catch(() => {});
    this.due = false;
    const save = this.last
      .catch(() => {})
      .then(async () => {
        this.show('saving');
        await api('PUT', `${this.base}/draft`, await this.painter.toPng(), 'image/png');
        if (!this.due) this.show('saved');
      })
      .catch((err) => {
        this.due = true;
        this.show('failed');
        throw err;
      });
    this.last = save;
    return save;
  }

  /** The mask is being saved instead: drop the pending save and wait out one in flight. */
  async settle() {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    await this.last.catch(() => {});
  }
}
