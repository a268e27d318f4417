// The event view's view tools: the heatmap overlay and raw-frame-beside toggles (the overlay hides what is under
// it: the reviewer flips it off or looks at the raw frame next to the map), and "seed from heatmap".
import { find } from './api.js';
/** @import { Painter } from './painter.js' */

/**
 * @typedef {object} ViewTools
 * @property {() => void} toggleHeat
 * @property {() => void} toggleRaw
 * @property {() => void} seed
 * @property {(delta: number) => void} nudgeSeed seed threshold by delta percent (re-seeds when the last change was a seed)
 */

/**
 * Heatmap and raw-frame toggles, and "seed from heatmap": the map's pixels at or above the threshold (percent of the
 * map's scale) become the mask, to edit from there. Moving the threshold right after seeding re-seeds in place.
 * @param {HTMLElement} main the event view (its markup: event.js)
 * @param {HTMLCanvasElement} heat
 * @param {Painter} painter
 * @param {Uint8ClampedArray} mapValues the anomaly map's grey values (heatmap.js)
 * @returns {ViewTools}
 */
export function wireViewTools(main, heat, painter, mapValues) {
  /** @template {Element} T @param {string} sel @param {abstract new (...args: never[]) => T} type */
  const $ = (sel, type) => find(main, sel, type);
  const slider = $('#seed-threshold', HTMLInputElement);
  /** the last change to the mask was a seed (so a new threshold replaces it) */
  let seededLast = false;
  let seeding = false;
  const seed = () => {
    seeding = true;
    if (seededLast) painter.undo(); // replace the previous seed, not stack on it
    painter.seed(mapValues, Math.round((Number(slider.value) / 100) * 255));
    seeding = false;
    seededLast = true;
  };
  const afterChange = painter.onChange;
  painter.onChange = () => {
    if (!seeding) seededLast = false; // a stroke, fill or undo since: the seed is the reviewer's to edit now
    afterChange();
  };
  const showSeed = () => ($('#seed-value', HTMLOutputElement).value = `${slider.value}%`);
  /** @param {number} delta */
  const nudgeSeed = (delta) => {
    slider.value = String(Math.min(100, Math.max(1, Number(slider.value) + delta)));
    showSeed();
    if (seededLast) seed();
  };
  slider.addEventListener('input', () => nudgeSeed(0));
  const toggleHeat = () => {
    heat.hidden = !heat.hidden;
    $('#toggle-heat', HTMLButtonElement).setAttribute('aria-pressed', String(!heat.hidden));
  };
  const toggleRaw = () => {
    const raw = $('#raw', HTMLImageElement);
    raw.hidden = !raw.hidden;
    $('#stage-row', HTMLElement).classList.toggle('side', !raw.hidden);
    $('#toggle-raw', HTMLButtonElement).setAttribute('aria-pressed', String(!raw.hidden));
  };
  const seedAnew = () => ((seededLast = false), seed());
  $('#seed', HTMLButtonElement).addEventListener('click', seedAnew);
  $('#toggle-heat', HTMLButtonElement).addEventListener('click', toggleHeat);
  $('#toggle-raw', HTMLButtonElement).addEventListener('click', toggleRaw);
  return { toggleHeat, toggleRaw, seed: seedAnew, nudgeSeed };
}
