// Defect classes on the review page: a class picker (buttons, digit shortcuts 1–9), the painter's stroke colour
// (the picked class's; red = a stroke without a class) and the mask as an indexed-colour PNG (palette index = the
// class's paletteIndex, 0 = background, 255 = unclassified). Strokes keep their colours on the canvas, so on export
// each painted pixel gets the class whose colour is nearest (anti-aliased edges between two classes fall to one).
import { api, find } from './api.js';
/** @import { DefectClassView, EventView } from '@linewatch/protocol/http' */
/** @import { Painter } from './painter.js' */

/** Palette index of a stroke painted without a class, and its display colour. */
const UNCLASSIFIED = 255;
const UNCLASSIFIED_RGB = /** @type {const} */ ([255, 0, 0]);
/** @param {unknown} s */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** @param {string} hex '#rrggbb' @returns {[number, number, number]} */
export const rgbOf = (hex) => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return [r ?? 0, g ?? 0, b ?? 0];
};

/** @param {string} [line] @returns {Promise<DefectClassView[]>} */
export async function loadClasses(line) {
  /** @type {{ classes: DefectClassView[] }} */
  const res = await api('GET', `/api/classes${line ? `?line=${encodeURIComponent(line)}` : ''}`);
  return res.classes;
}

/** The class the next confirmation names (null: none), for the event on screen. */
let picked = /** @type {DefectClassView | null} */ (null);

/** Body of POST …/confirm: the picked class, or none. */
export const confirmBody = () => ({ defectClassId: picked?.id ?? null });

/**
 * The picker in the side panel (above the label buttons): click or press a class's digit to pick it (again to
 * unpick); the pick colours new strokes and is named by the next confirmation. Starts at the event's stored class.
 * @param {HTMLElement} main
 * @param {EventView} e
 * @param {Painter} painter
 * @returns {Promise<() => void>} detaches the digit keys
 */
export async function attachClasses(main, e, painter) {
  const classes = await loadClasses(e.line).catch(() => /** @type {DefectClassView[]} */ ([]));
  const box = document.createElement('div');
  box.className = 'tools classes';
  box.id = 'classes';
  box.innerHTML =
    classes.length === 0
      ? '<span class="hint">No defect classes on this line (an admin adds them under Classes).</span>'
      : classes
          .map(
            (c) => `<button type="button" data-class="${esc(c.id)}" aria-pressed="false">
              <span class="swatch" style="background:${esc(c.color)}"></span>${esc(c.name)}${c.key ? ` <kbd>${esc(c.key)}</kbd>` : ''}</button>`,
          )
          .join('');
  find(main, '#confirm', HTMLButtonElement).parentElement?.before(box);
  /** @param {DefectClassView | null} c */
  const pick = (c) => {
    picked = c;
    painter.color = c ? c.color : `rgb(${UNCLASSIFIED_RGB.join(',')})`;
    for (const b of box.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.class === c?.id));
    box.dataset.picked = c?.name ?? '';
  };
  /** @param {DefectClassView} c */
  const toggle = (c) => pick(picked?.id === c.id ? null : c);
  for (const b of box.querySelectorAll('button')) {
    const c = classes.find((x) => x.id === b.dataset.class);
    if (c) b.addEventListener('click', () => toggle(c));
  }
  pick(classes.find((c) => c.id === e.defectClassId) ?? null);
  painter.toPng = () => indexedMaskPng(painter, classes);
  /** @param {KeyboardEvent} ev */
  const keys = (ev) => {
    if (ev.target instanceof HTMLInputElement && ev.target.type !== 'range') return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const c = classes.find((x) => x.key === ev.key);
    if (!c) return;
    ev.preventDefault();
    toggle(c);
  };
  document.addEventListener('keydown', keys);
  return () => document.removeEventListener('keydown', keys);
}

/**
 * The painter's layer as an indexed-colour PNG: every painted pixel (alpha > 127) gets the palette index of the
 * nearest colour among the classes' and the unclassified red.
 * @param {Painter} painter
 * @param {DefectClassView[]} classes
 * @returns {Promise<Blob>}
 */
export async function indexedMaskPng(painter, classes) {
  const { width, height } = painter.canvas;
  const src = painter.g.getImageData(0, 0, width, height).data;
  const choices = [
    { index: UNCLASSIFIED, rgb: UNCLASSIFIED_RGB },
    ...classes.map((c) => ({ index: c.paletteIndex, rgb: rgbOf(c.color) })),
  ];
  const indices = new Uint8Array(width * height);
  for (let p = 0; p < indices.length; p++) {
    if (src[p * 4 + 3] <= 127) continue;
    let best = UNCLASSIFIED;
    let bestD = Infinity;
    for (const { index, rgb } of choices) {
      const d = (src[p * 4] - rgb[0]) ** 2 + (src[p * 4 + 1] - rgb[1]) ** 2 + (src[p * 4 + 2] - rgb[2]) ** 2;
      if (d < bestD) [best, bestD] = [index, d];
    }
    indices[p] = best;
  }
  /** @type {Array<readonly [number, number, number]>} black everywhere but the classes and unclassified (white) */
  const palette = Array.from({ length: 256 }, () => /** @type {const} */ ([0, 0, 0]));
  palette[UNCLASSIFIED] = [255, 255, 255];
  for (const c of classes) palette[c.paletteIndex] = rgbOf(c.color);
  return encodeIndexedPng(width, height, indices, palette);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** @param {Uint8Array} bytes */
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} type @param {Uint8Array<ArrayBuffer>} data @returns {Uint8Array<ArrayBuffer>} length, type, data, CRC */
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * An 8-bit indexed-colour PNG (filter 0 on every row; zlib through CompressionStream 'deflate').
 * @param {number} width
 * @param {number} height
 * @param {Uint8Array} indices one per pixel, row-major
 * @param {Array<readonly [number, number, number]>} palette
 * @returns {Promise<Blob>}
 */
export async function encodeIndexedPng(width, height, indices, palette) {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: indexed
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const zipped = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer(),
  );
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const plte = new Uint8Array(palette.flatMap((rgb) => [...rgb]));
  const parts = [
    signature,
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('IDAT', zipped),
    chunk('IEND', new Uint8Array()),
  ];
  return new Blob(parts, { type: 'image/png' });
}
