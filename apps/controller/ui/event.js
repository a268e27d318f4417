// Event view: frame with a translucent heatmap overlay and a mask layer to paint on; label actions and keyboard
// shortcuts. Shortcuts: c confirm (saving unsaved strokes as the mask first), r reject, s save mask, b brush,
// e erase, l polygon/lasso, f seed the mask from the heatmap, , / . seed threshold down/up, ctrl+z/z undo,
// [ ] brush size (also alt/ctrl + wheel), h toggle heatmap, v raw frame beside the map, j/n next, k/p previous,
// + / - / 0 zoom in, out, reset, Escape back to the queue (or cancel an open polygon).
// Zoom: mouse wheel (around the cursor); pan: shift-drag or middle-drag. The painter maps pointer positions
// through getBoundingClientRect, so painting stays exact at any zoom. Unsaved strokes live in a server-side draft
// (drafts.js): leaving the event waits until the draft is saved, and the draft comes back on return.
import { api, toast, find, errorParts } from './api.js';
import { attachClasses, confirmBody } from './classes.js';
import { DraftKeeper } from './drafts.js';
import { drawHeatmap } from './heatmap.js';
import { Painter } from './painter.js';
import { attachPolygon } from './polygon.js';
import { ratioText, rawTitle } from './score.js';
import { wireViewTools } from './view-tools.js';
import { attachZoom } from './zoom.js';
import { renderNeighbours } from './neighbours.js';
/** @import { EventView, LabelStatus } from '@linewatch/protocol/http' */
/** @import { PaintMode } from './painter.js' */
/** @import { DraftState } from './drafts.js' */
/** @import { ViewTools } from './view-tools.js' */

/** @param {string} src @returns {Promise<HTMLImageElement>} */
const loadImage = (src) =>
  new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load ${src}`));
    img.src = src;
  });

/** @type {(() => void) | null} */
let detach = null;
/** Renders started so far; a render that is no longer the newest stops at its next await. */
let renders = 0;
/** @param {unknown} s */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Seed threshold step of the , and . keys, in percent of the map's scale. */
const SEED_STEP = 5;

/** @type {Record<DraftState, string>} */
const DRAFT_TEXT = {
  none: '',
  unsaved: 'unsaved strokes',
  saving: 'saving draft…',
  saved: 'draft saved (not a label yet)',
  restored: 'draft restored (not a label yet)',
  failed: 'draft NOT saved',
  'mask-saved': 'mask saved',
};

/**
 * The event view's markup: the stage (frame, heatmap, mask and polygon layers) with the raw frame beside it when
 * asked, the neighbour strip and the side panel.
 * @param {EventView} e
 */
function eventMarkup(e) {
  const size = `width="${e.frameWidth}" height="${e.frameHeight}"`;
  return `<div class="event" data-id="${esc(e.id)}">
    <div class="review-main"><div class="stage-row" id="stage-row" style="--aspect: ${e.frameWidth / e.frameHeight}">
      <div class="stage" id="stage"><div class="zoom" id="zoom">
        <img id="frame" alt="frame" ${size}>
        <canvas id="heat" ${size}></canvas>
        <canvas id="mask" class="mask" ${size}></canvas>
        <canvas id="poly" class="poly" ${size}></canvas></div></div>
      <img id="raw" class="raw" alt="raw frame" ${size} hidden></div>
      <div class="neighbours" id="neighbours"></div></div>
    <div class="panel">
      <div><strong>${esc(e.deviceId)}</strong> / ${esc(e.camera)} · ${esc(e.line)}</div>
      <div>${new Date(e.ts).toLocaleString()}</div>
      <div>score <strong id="score" title="${esc(rawTitle(e))}">${ratioText(e)}</strong> threshold
        · model ${esc(e.modelVersion)}</div>
      <div>status <strong id="status" class="status-${e.labelStatus}">${e.labelStatus}</strong>
        <span id="draft-state" class="draft-state" data-state="none"></span></div>
      <label>heatmap <input id="opacity" type="range" min="0" max="100" value="45"></label>
      <div class="tools">
        <button id="toggle-heat" type="button" aria-pressed="true">Heatmap <kbd>h</kbd></button>
        <button id="toggle-raw" type="button" aria-pressed="false">Raw beside <kbd>v</kbd></button>
      </div>
      <div class="tools">
        <button id="brush" type="button" aria-pressed="true">Brush <kbd>b</kbd></button>
        <button id="erase" type="button" aria-pressed="false">Erase <kbd>e</kbd></button>
        <button id="polygon" type="button" aria-pressed="false">Polygon <kbd>l</kbd></button>
        <button id="undo" type="button">Undo <kbd>z</kbd></button>
      </div>
      <div class="tools">
        <button id="seed" type="button">Seed from heatmap <kbd>f</kbd></button>
        <label>≥ <input id="seed-threshold" type="range" min="1" max="100" value="50"></label>
        <output id="seed-value">50%</output>
      </div>
      <div class="tools">
        <button id="zoom-in" type="button">Zoom + <kbd>+</kbd></button>
        <button id="zoom-out" type="button">Zoom − <kbd>-</kbd></button>
        <button id="zoom-reset" type="button">Fit <kbd>0</kbd></button>
      </div>
      <label>brush <input id="size" type="range" min="1" max="${Math.max(8, Math.round(e.frameWidth / 8))}"></label>
      <div class="tools">
        <button id="confirm" type="button">Confirm <kbd>c</kbd></button>
        <button id="reject" type="button">Reject <kbd>r</kbd></button>
        <button id="save" type="button">Save mask <kbd>s</kbd></button>
      </div>
      <p class="hint">Confirm without a mask: <kbd>c</kbd> (unsaved strokes are saved as the mask first) · polygon:
        click corners, drag for a lasso, <kbd>Enter</kbd> or double-click closes · seed threshold <kbd>,</kbd>
        <kbd>.</kbd> · neighbours: <kbd>j</kbd>/<kbd>k</kbd> in the queue order, thumbnails below the frame in time
        order · wheel zooms, alt/ctrl+wheel sizes the brush, shift-drag pans</p>
      <a href="#/queue">← queue <kbd>Esc</kbd></a>
    </div></div>`;
}

/** @typedef {ReturnType<typeof attachZoom>} Zoom */
/** @typedef {ReturnType<typeof attachPolygon>} Polygon */
/**
 * @typedef {object} Stage
 * @property {HTMLCanvasElement} heat
 * @property {Painter} painter
 * @property {Zoom} zoom
 * @property {Polygon} polygon
 * @property {(delta: number) => void} resize brush size by delta (slider kept in step)
 * @property {Uint8ClampedArray} mapValues the anomaly map's grey values, for seeding
 */

/**
 * Loads the layers (the heatmap, an existing mask and the reviewer's draft are awaited, the neighbour strip is
 * not) and wires the zoom buttons and the brush-size and heatmap-opacity sliders.
 * @param {HTMLElement} main
 * @param {EventView} e
 * @param {string} base the event's API path
 * @returns {Promise<Stage>}
 */
async function setUpStage(main, e, base) {
  /** @template {Element} T @param {string} sel @param {abstract new (...args: never[]) => T} type */
  const $ = (sel, type) => find(main, sel, type);
  $('#frame', HTMLImageElement).src = `${base}/frame`;
  $('#raw', HTMLImageElement).src = `${base}/frame`;
  const heat = $('#heat', HTMLCanvasElement);
  const mapValues = drawHeatmap(heat, await loadImage(`${base}/map`));
  heat.style.opacity = '0.45';
  const painter = new Painter($('#mask', HTMLCanvasElement));
  if (e.hasMask) painter.load(await loadImage(`${base}/mask`));
  if (e.hasDraft) {
    // Newer than any saved mask: the strokes the reviewer left unsaved.
    painter.load(await loadImage(`${base}/draft`));
    painter.dirty = true;
  }
  const polygon = attachPolygon($('#mask', HTMLCanvasElement), $('#poly', HTMLCanvasElement), painter);
  const size = $('#size', HTMLInputElement);
  /** @param {number} delta */
  const resize = (delta) => {
    painter.size = Math.max(1, Math.min(Number(size.max), painter.size + delta));
    size.value = String(painter.size);
  };
  const zoom = attachZoom($('#stage', HTMLElement), $('#zoom', HTMLElement), (dir) => resize(2 * dir));
  $('#zoom-in', HTMLButtonElement).addEventListener('click', () => zoom.by(1.25));
  $('#zoom-out', HTMLButtonElement).addEventListener('click', () => zoom.by(0.8));
  $('#zoom-reset', HTMLButtonElement).addEventListener('click', () => zoom.reset());
  // Not awaited: the neighbour strip is context, the frame must not wait for it.
  renderNeighbours($('#neighbours', HTMLElement), e).catch(() => {});
  const opacity = $('#opacity', HTMLInputElement);
  size.value = String(painter.size);
  size.addEventListener('input', () => (painter.size = Number(size.value)));
  // Read from the slider itself: it is the event's target, typed.
  opacity.addEventListener('input', () => (heat.style.opacity = String(Number(opacity.value) / 100)));
  return { heat, painter, zoom, polygon, resize, mapValues };
}

/**
 * @typedef {object} Actions
 * @property {(m: PaintMode) => void} setMode
 * @property {() => Promise<void>} confirm
 * @property {() => Promise<void>} reject
 * @property {() => Promise<void>} save
 * @property {(delta: number) => Promise<void>} step to the next (1) or previous (-1) event in the queue's order
 * @property {(hash: string) => Promise<void>} leave to another view, once the draft is saved
 */

/**
 * The label actions (confirm, reject, save the mask: each shows the new status and a toast), the paint mode and
 * leaving the event (stepping through the queue's order, back to the queue), wired to their buttons. Leaving waits
 * for the draft; saving the mask retires it.
 * @param {HTMLElement} main
 * @param {string} id
 * @param {string} base the event's API path
 * @param {Painter} painter
 * @param {DraftKeeper} keeper
 * @returns {Actions}
 */
function wireActions(main, id, base, painter, keeper) {
  /** @param {string} sel */
  const button = (sel) => find(main, sel, HTMLButtonElement);
  /** @param {PaintMode} m */
  const setMode = (m) => {
    painter.mode = m;
    for (const mode of /** @type {PaintMode[]} */ (['brush', 'erase', 'polygon']))
      button(`#${mode}`).setAttribute('aria-pressed', String(m === mode));
  };
  /** @param {LabelStatus} s */
  const setStatus = (s) => {
    const el = find(main, '#status', HTMLElement);
    el.textContent = s;
    el.className = `status-${s}`;
  };
  /**
   * @param {() => Promise<EventView>} fn a label action; the routes answer with the updated event
   * @param {string} done
   * @returns {Promise<boolean>} whether it succeeded
   */
  const act = async (fn, done) => {
    try {
      const v = await fn();
      setStatus(v.labelStatus);
      toast(done);
      return true;
    } catch (err) {
      const { code, message } = errorParts(err);
      toast(`${code}: ${message}`, true);
      return false;
    }
  };
  /** @param {string} done */
  const saveMask = async (done) => {
    await keeper.settle(); // no draft write may land after the mask (the server deletes the draft with it)
    const ok = await act(async () => api('PUT', `${base}/mask`, await painter.toPng(), 'image/png'), done);
    if (!ok) return (keeper.schedule(), false); // the strokes are still unsaved: keep them as a draft
    painter.dirty = false;
    keeper.show('mask-saved');
    return true;
  };
  const save = async () => void (await saveMask('Mask saved'));
  const confirmOnly = async () => void (await act(() => api('POST', `${base}/confirm`, confirmBody()), 'Confirmed'));
  // Strokes on screen are what the reviewer means: confirm with them as the mask, never without them. Strokes all
  // undone or erased are no mask: an image-level confirmation, and the draft of them goes.
  const confirm = async () => {
    if (painter.dirty && !painter.isEmpty()) {
      if (await saveMask('Mask saved')) await confirmOnly();
      return;
    }
    if (painter.dirty) {
      await keeper.settle();
      await api('DELETE', `${base}/draft`).catch(() => {});
      painter.dirty = false;
      keeper.show('none');
    }
    await confirmOnly();
  };
  const reject = async () => {
    const kept = painter.dirty ? ' (unsaved strokes kept as a draft)' : '';
    await act(() => api('POST', `${base}/reject`), `Rejected${kept}`);
  };
  /** @param {string} hash */
  const leave = async (hash) => {
    try {
      await keeper.flush();
    } catch (err) {
      toast(`Strokes not saved, staying here: ${errorParts(err).message}`, true);
      return;
    }
    location.hash = hash;
  };
  /** @param {number} delta */
  const step = async (delta) => {
    /** @type {string[]} JSON.parse is untyped: this is the id list the queue view stores, in its order */
    const ids = JSON.parse(sessionStorage.getItem('lw-queue') ?? '[]');
    const next = ids[ids.indexOf(id) + delta];
    if (next) await leave(`#/event/${encodeURIComponent(next)}`);
  };
  button('#brush').addEventListener('click', () => setMode('brush'));
  button('#erase').addEventListener('click', () => setMode('erase'));
  button('#polygon').addEventListener('click', () => setMode('polygon'));
  button('#undo').addEventListener('click', () => painter.undo());
  button('#confirm').addEventListener('click', confirm);
  button('#reject').addEventListener('click', reject);
  button('#save').addEventListener('click', save);
  return { setMode, confirm, reject, save, step, leave };
}

/**
 * The view's keyboard shortcuts (see the header); typing in a text field is left alone.
 * @param {Stage} stage
 * @param {Actions} a
 * @param {ViewTools} v
 * @returns {(ev: KeyboardEvent) => void}
 */
function shortcuts({ painter, zoom, polygon, resize }, a, v) {
  return (ev) => {
    if (ev.target instanceof HTMLInputElement && ev.target.type !== 'range') return;
    const k = ev.key;
    if ((ev.ctrlKey || ev.metaKey) && k === 'z') return (ev.preventDefault(), void painter.undo());
    if (ev.ctrlKey || ev.metaKey || (ev.altKey && k !== 'Enter')) return;
    /** @type {Record<string, () => unknown>} */
    const map = {
      c: a.confirm,
      r: a.reject,
      s: a.save,
      b: () => a.setMode('brush'),
      e: () => a.setMode('erase'),
      l: () => a.setMode('polygon'),
      f: v.seed,
      ',': () => v.nudgeSeed(-SEED_STEP),
      '.': () => v.nudgeSeed(SEED_STEP),
      z: () => painter.undo(),
      h: v.toggleHeat,
      v: v.toggleRaw,
      '[': () => resize(-2),
      ']': () => resize(2),
      j: () => a.step(1),
      n: () => a.step(1),
      k: () => a.step(-1),
      p: () => a.step(-1),
      '+': () => zoom.by(1.25),
      '=': () => zoom.by(1.25),
      '-': () => zoom.by(0.8),
      0: () => zoom.reset(),
      Escape: () => (polygon.open ? polygon.cancel() : a.leave('#/queue')),
    };
    if (polygon.open) {
      map.Enter = () => polygon.close(ev.altKey);
      map.Backspace = () => polygon.pop();
    }
    const action = map[k];
    if (action) {
      ev.preventDefault();
      action();
    }
  };
}

/**
 * @param {HTMLElement} main
 * @param {string} id
 */
export async function renderEvent(main, id) {
  detach?.();
  // Quick j/k presses start a render before the last one has finished loading: only the newest, still-current one
  // may take the page (a stale one finishing late would put another event's canvas under the reviewer's brush).
  const seq = ++renders;
  const stale = () => seq !== renders || decodeURIComponent(location.hash.slice('#/event/'.length)) !== id;
  /** @type {EventView} */
  const e = await api('GET', `/api/events/${encodeURIComponent(id)}`);
  if (stale()) return;
  const base = `/api/events/${encodeURIComponent(id)}`;
  main.innerHTML = eventMarkup(e);
  const stage = await setUpStage(main, e, base);
  if (stale()) return;
  const detachClasses = await attachClasses(main, e, stage.painter);
  if (stale()) return detachClasses();
  const draftState = find(main, '#draft-state', HTMLElement);
  const keeper = new DraftKeeper(base, stage.painter, (s) => {
    draftState.dataset.state = s;
    draftState.textContent = DRAFT_TEXT[s];
    draftState.classList.toggle('error', s === 'failed');
  });
  if (e.hasDraft) keeper.show('restored');
  stage.painter.onChange = () => keeper.schedule();
  const keys = shortcuts(
    stage,
    wireActions(main, id, base, stage.painter, keeper),
    wireViewTools(main, stage.heat, stage.painter, stage.mapValues),
  );
  /** @param {BeforeUnloadEvent} ev a reload or closed tab while a draft save is due: the browser asks first */
  const unload = (ev) => {
    if (!keeper.pending) return;
    keeper.flush().catch(() => {});
    ev.preventDefault();
  };
  document.addEventListener('keydown', keys);
  window.addEventListener('beforeunload', unload);
  detach = () => {
    detachClasses();
    document.removeEventListener('keydown', keys);
    window.removeEventListener('beforeunload', unload);
    // Left by a link (a neighbour, the menu) rather than a key: the draft still goes to the server.
    keeper.flush().catch(() => {});
  };
  // Shortcuts work from here on (images loaded, handler attached): tests and scripts wait for this mark.
  find(main, '.event', HTMLElement).dataset.ready = 'true';
  window.addEventListener('hashchange', () => detach?.(), { once: true });
}
