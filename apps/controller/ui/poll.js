// Polling that says when it is cut off. A view that refreshes itself is read as live; when the controller stops
// answering (it died, the network dropped, the session ended), silently keeping the last answer on screen would
// present stale state as current. So a failed poll shows a "disconnected — last update hh:mm:ss" banner and marks
// the view stale, polling goes on, and the first answer again clears both.
import { errorParts } from './api.js';

/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');
/** Local wall-clock time, hh:mm:ss (24 h), as the banner names the last good update. @param {Date} d */
export const hhmmss = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

/**
 * @typedef {object} LivePoll
 * @property {HTMLElement} banner shown (with the reason) while polls fail, hidden otherwise
 * @property {HTMLElement} view gets class `stale` and data-stale="true" while polls fail
 * @property {() => Promise<void>} load one refresh; throws when the controller did not answer
 * @property {number} everyMs pause between the end of one poll and the start of the next
 * @property {Date} lastOk when the view's data was last loaded (normally just before polling starts)
 * @property {() => void} [onStale] called on every failed poll, after the view is marked stale
 */

/**
 * Starts polling; returns a function that stops it. One poll at a time (the next is scheduled after the previous one
 * ends), so a controller that answers slowly is not piled up with requests.
 * @param {LivePoll} o
 * @returns {() => void}
 */
export function pollLive(o) {
  let lastOk = o.lastOk;
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const tick = async () => {
    try {
      await o.load();
      lastOk = new Date();
      if (stopped) return;
      o.banner.hidden = true;
      o.view.classList.remove('stale');
      delete o.view.dataset.stale;
    } catch (e) {
      if (stopped) return;
      const { code, message } = errorParts(e);
      o.banner.textContent =
        `Disconnected from the controller — last update ${hhmmss(lastOk)}. ` +
        `Retrying every ${Math.round(o.everyMs / 1000)} s; what is shown below is not live. (${code ?? message})`;
      o.banner.hidden = false;
      o.view.classList.add('stale');
      o.view.dataset.stale = 'true';
      o.onStale?.();
    }
    if (!stopped) timer = setTimeout(tick, o.everyMs);
  };
  timer = setTimeout(tick, o.everyMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
