// Event view: frame with a translucent heatmap overlay and a mask layer to paint on; label actions and keyboard
// shortcuts. Shortcuts: c confirm, r reject, s save mask, b brush, e erase, ctrl+z/z undo, [ ] brush size,
// h toggle heatmap, j/n next, k/p previous, + / - / 0 zoom in, out, reset, Escape back to the queue.
// Zoom: mouse wheel (around the cursor); pan: shift-drag or middle-drag. The painter maps pointer positions
// through getBoundingClientRect, so painting stays exact at any zoom.
import { api, toast, find, errorParts } from './api.js';
import { drawHeatmap } from './heatmap.js';
import { Painter } from './painter.js';
import { attachZoom } from './zoom.js';
import { renderNeighbours } from './neighbours.js';
/** @import { EventView, LabelStatus } from '@linewatch/protocol/http' */
/** @import { PaintMode } from './painter.js' */

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
/** @param {unknown} s */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The event view's markup: the stage (frame, heatmap and mask layers), the neighbour strip and the side panel.
 * @param {EventView} e
 */
function eventMarkup(e) {
  return `<div class="event" data-id="${esc(e.id)}">
    <div><div class="stage" id="stage"><div class="zoom" id="zoom">
      <img id="frame" alt="frame" width="${e.frameWidth}" height="${e.frameHeight}">
      <canvas id="heat" width="${e.frameWidth}" height="${e.frameHeight}"></canvas>
      <canvas id="mask" class="mask" width="${e.frameWidth}" height="${e.frameHeight}"></canvas></div></div>
      <div class="neighbours" id="neighbours"></div></div>
    <div class="panel">
      <div><strong>${esc(e.deviceId)}</strong> / ${esc(e.camera)} · ${esc(e.line)}</div>
      <div>${new Date(e.ts).toLocaleString()}</div>
      <div>score <strong>${e.score.toFixed(3)}</strong> (threshold ${e.threshold.toFixed(3)}) · model ${esc(e.modelVersion)}</div>
      <div>status <strong id="status" class="status-${e.labelStatus}">${e.labelStatus}</strong></div>
      <label>heatmap <input id="opacity" type="range" min="0" max="100" value="60"></label>
      <div class="tools">
        <button id="brush" type="button" aria-pressed="true">Brush <kbd>b</kbd></button>
        <button id="erase" type="button" aria-pressed="false">Erase <kbd>e</kbd></button>
        <button id="undo" type="button">Undo <kbd>z</kbd></button>
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
      <p class="hint">Confirm without a mask: <kbd>c</kbd> · neighbours: <kbd>j</kbd>/<kbd>k</kbd> in the queue order,
        thumbnails below the frame in time order · wheel zooms, shift-drag pans</p>
      <a href="#/queue">← queue <kbd>Esc</kbd></a>
    </div></div>`;
}

/** @typedef {ReturnType<typeof attachZoom>} Zoom */
/** @typedef {{ heat: HTMLCanvasElement, painter: Painter, zoom: Zoom, size: HTMLInputElement }} Stage */

/**
 * Loads the layers (the heatmap and an existing mask are awaited, the neighbour strip is not) and wires the zoom
 * buttons and the brush-size and heatmap-opacity sliders.
 * @param {HTMLElement} main
 * @param {EventView} e
 * @param {string} base the event's API path
 * @returns {Promise<Stage>}
 */
async function setUpStage(main, e, base) {
  /** @template {Element} T @param {string} sel @param {abstract new (...args: never[]) => T} type */
  const $ = (sel, type) => find(main, sel, type);
  $('#frame', HTMLImageElement).src = `${base}/frame`;
  const heat = $('#heat', HTMLCanvasElement);
  drawHeatmap(heat, await loadImage(`${base}/map`));
  heat.style.opacity = '0.6';
  const painter = new Painter($('#mask', HTMLCanvasElement));
  if (e.hasMask) painter.load(await loadImage(`${base}/mask`));
  const zoom = attachZoom($('#stage', HTMLElement), $('#zoom', HTMLElement));
  $('#zoom-in', HTMLButtonElement).addEventListener('click', () => zoom.by(1.25));
  $('#zoom-out', HTMLButtonElement).addEventListener('click', () => zoom.by(0.8));
  $('#zoom-reset', HTMLButtonElement).addEventListener('click', () => zoom.reset());
  // Not awaited: the neighbour strip is context, the frame must not wait for it.
  renderNeighbours($('#neighbours', HTMLElement), e).catch(() => {});
  const size = $('#size', HTMLInputElement);
  const opacity = $('#opacity', HTMLInputElement);
  size.value = String(painter.size);
  size.addEventListener('input', () => (painter.size = Number(size.value)));
  // Read from the slider itself: it is the event's target, typed.
  opacity.addEventListener('input', () => (heat.style.opacity = String(Number(opacity.value) / 100)));
  return { heat, painter, zoom, size };
}

/**
 * @typedef {object} Actions
 * @property {(m: PaintMode) => void} setMode
 * @property {() => Promise<void>} confirm
 * @property {() => Promise<void>} reject
 * @property {() => Promise<void>} save
 * @property {(delta: number) => void} step to the next (1) or previous (-1) event in the queue's order
 */

/**
 * The label actions (confirm, reject, save the mask: each shows the new status and a toast), the paint mode and
 * stepping through the queue's order, wired to their buttons.
 * @param {HTMLElement} main
 * @param {string} id
 * @param {string} base the event's API path
 * @param {Painter} painter
 * @returns {Actions}
 */
function wireActions(main, id, base, painter) {
  /** @param {string} sel */
  const button = (sel) => find(main, sel, HTMLButtonElement);
  /** @param {PaintMode} m */
  const setMode = (m) => {
    painter.mode = m;
    button('#brush').setAttribute('aria-pressed', String(m === 'brush'));
    button('#erase').setAttribute('aria-pressed', String(m === 'erase'));
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
   */
  const act = async (fn, done) => {
    try {
      const v = await fn();
      setStatus(v.labelStatus);
      toast(done);
    } catch (err) {
      const { code, message } = errorParts(err);
      toast(`${code}: ${message}`, true);
    }
  };
  const confirm = () => act(() => api('POST', `${base}/confirm`), 'Confirmed');
  const reject = () => act(() => api('POST', `${base}/reject`), 'Rejected');
  const save = () => act(async () => api('PUT', `${base}/mask`, await painter.toPng(), 'image/png'), 'Mask saved');
  /** @param {number} delta */
  const step = (delta) => {
    /** @type {string[]} JSON.parse is untyped: this is the id list the queue view stores, in its order */
    const ids = JSON.parse(sessionStorage.getItem('lw-queue') ?? '[]');
    const next = ids[ids.indexOf(id) + delta];
    if (next) location.hash = `#/event/${encodeURIComponent(next)}`;
  };
  button('#brush').addEventListener('click', () => setMode('brush'));
  button('#erase').addEventListener('click', () => setMode('erase'));
  button('#undo').addEventListener('click', () => painter.undo());
  button('#confirm').addEventListener('click', confirm);
  button('#reject').addEventListener('click', reject);
  button('#save').addEventListener('click', save);
  return { setMode, confirm, reject, save, step };
}

/**
 * The view's keyboard shortcuts (see the header); typing in a text field is left alone.
 * @param {Stage} stage
 * @param {Actions} a
 * @returns {(ev: KeyboardEvent) => void}
 */
function shortcuts({ heat, painter, zoom, size }, { setMode, confirm, reject, save, step }) {
  return (ev) => {
    if (ev.target instanceof HTMLInputElement && ev.target.type !== 'range') return;
    const k = ev.key;
    if ((ev.ctrlKey || ev.metaKey) && k === 'z') return (ev.preventDefault(), void painter.undo());
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    /** @type {Record<string, () => unknown>} */
    const map = {
      c: confirm,
      r: reject,
      s: save,
      b: () => setMode('brush'),
      e: () => setMode('erase'),
      z: () => painter.undo(),
      h: () => (heat.hidden = !heat.hidden),
      '[': () => ((painter.size = Math.max(1, painter.size - 2)), (size.value = String(painter.size))),
      ']': () => ((painter.size += 2), (size.value = String(painter.size))),
      j: () => step(1),
      n: () => step(1),
      k: () => step(-1),
      p: () => step(-1),
      '+': () => zoom.by(1.25),
      '=': () => zoom.by(1.25),
      '-': () => zoom.by(0.8),
      0: () => zoom.reset(),
      Escape: () => (location.hash = '#/queue'),
    };
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
  /** @type {EventView} */
  const e = await api('GET', `/api/events/${encodeURIComponent(id)}`);
  const base = `/api/events/${encodeURIComponent(id)}`;
  main.innerHTML = eventMarkup(e);
  const stage = await setUpStage(main, e, base);
  const keys = shortcuts(stage, wireActions(main, id, base, stage.painter));
  document.addEventListener('keydown', keys);
  detach = () => document.removeEventListener('keydown', keys);
  // Shortcuts work from here on (images loaded, handler attached): tests and scripts wait for this mark.
  find(main, '.event', HTMLElement).dataset.ready = 'true';
  window.addEventListener('hashchange', () => detach?.(), { once: true });
}
