// Mask painting on a canvas at the frame's native resolution: brush/erase with round strokes, filled polygons
// (polygon.js collects the points), a starting mask seeded from the anomaly map, undo stack of snapshots (taken
// before each change), export as an opaque black/white PNG the server binarises at > 127. `onChange` runs after
// every finished change (stroke end, fill, seed, undo): the event view saves the draft from there.
const MAX_UNDO = 30;

/** @typedef {'brush' | 'erase' | 'polygon'} PaintMode polygon: clicks/drags add points (polygon.js), not strokes */
/** @typedef {{ x: number, y: number }} Point canvas pixels */

/**
 * A 2D context, or an error naming what failed: a canvas gives none only when it already has another kind of
 * context, which would be a bug here.
 * @overload
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasRenderingContext2DSettings} [settings]
 * @returns {CanvasRenderingContext2D}
 */
/**
 * @overload
 * @param {OffscreenCanvas} canvas
 * @returns {OffscreenCanvasRenderingContext2D}
 */
/**
 * @param {HTMLCanvasElement | OffscreenCanvas} canvas
 * @param {CanvasRenderingContext2DSettings} [settings]
 */
function context2d(canvas, settings) {
  const g = canvas.getContext('2d', settings);
  if (!g) throw new Error('ui: no 2d context on the canvas');
  return g;
}

export class Painter {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.g = context2d(canvas, { willReadFrequently: true });
    /** @type {PaintMode} */
    this.mode = 'brush';
    this.size = Math.max(4, Math.round(canvas.width / 40));
    /** @type {ImageData[]} */
    this.undoStack = [];
    this.dirty = false;
    /** Stroke and fill colour: the picked defect class's (classes.js); red = a stroke without a class. */
    this.color = 'rgb(255,0,0)';
    /** @type {() => void} */
    this.onChange = () => {};
    /** @type {Point | null} */
    let last = null;
    /** @param {PointerEvent} ev @returns {Point} */
    const at = (ev) => {
      const r = canvas.getBoundingClientRect();
      return {
        x: ((ev.clientX - r.left) * canvas.width) / r.width,
        y: ((ev.clientY - r.top) * canvas.height) / r.height,
      };
    };
    canvas.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0 || ev.shiftKey) return; // middle/shift drag pans (zoom.js), it does not paint
      if (this.mode === 'polygon') return; // polygon.js collects the points
      canvas.setPointerCapture(ev.pointerId);
      this.snapshot();
      last = at(ev);
      this.stroke(last, last);
    });
    canvas.addEventListener('pointermove', (ev) => {
      if (!last) return;
      const p = at(ev);
      this.stroke(last, p);
      last = p;
    });
    const end = () => {
      if (last) this.onChange();
      last = null;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  snapshot() {
    this.undoStack.push(this.g.getImageData(0, 0, this.canvas.width, this.canvas.height));
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
  }

  /** @param {Point} a @param {Point} b */
  stroke(a, b) {
    const g = this.g;
    g.globalCompositeOperation = this.mode === 'erase' ? 'destination-out' : 'source-over';
    g.strokeStyle = g.fillStyle = this.color;
    g.lineWidth = this.size;
    g.lineCap = 'round';
    g.beginPath();
    g.moveTo(a.x, a.y);
    g.lineTo(b.x + 0.01, b.y);
    g.stroke();
    this.dirty = true;
  }

  undo() {
    const img = this.undoStack.pop();
    if (img) {
      this.g.putImageData(img, 0, 0);
      this.dirty = true;
      this.onChange();
    }
    return Boolean(img);
  }

  /** Whether nothing is painted (every pixel transparent): strokes undone or erased away are no mask. */
  isEmpty() {
    const { data } = this.g.getImageData(0, 0, this.canvas.width, this.canvas.height);
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return false;
    return true;
  }

  /**
   * Fills a closed polygon (canvas pixels) with the brush colour, or clears it in erase mode.
   * @param {Point[]} points at least 3
   * @param {boolean} [erase]
   */
  fillPolygon(points, erase = false) {
    if (points.length < 3) return;
    this.snapshot();
    const g = this.g;
    g.globalCompositeOperation = erase ? 'destination-out' : 'source-over';
    g.fillStyle = this.color;
    g.beginPath();
    g.moveTo(points[0].x, points[0].y);
    for (const p of points.slice(1)) g.lineTo(p.x, p.y);
    g.closePath();
    g.fill();
    this.dirty = true;
    this.onChange();
  }

  /**
   * Replaces the layer with a starting mask: every pixel whose anomaly-map value is at least `cut` (0..255).
   * Undoable like a stroke.
   * @param {Uint8ClampedArray} values the map's grey values at the canvas size, one per pixel (heatmap.js)
   * @param {number} cut
   */
  seed(values, cut) {
    this.snapshot();
    const { width, height } = this.canvas;
    const out = this.g.createImageData(width, height);
    for (let i = 0; i < values.length; i++) {
      if (values[i] >= cut) {
        out.data[i * 4] = 255;
        out.data[i * 4 + 3] = 255;
      }
    }
    this.g.putImageData(out, 0, 0);
    this.dirty = true;
    this.onChange();
  }

  /**
   * Loads an existing mask PNG into the display layer: grey (a binary mask, or the indexed masks' unclassified white)
   * above 127 shows red, a defect class's colour stays itself (class colours have a channel above 127).
   * @param {HTMLImageElement} img
   */
  load(img) {
    const { width, height } = this.canvas;
    const tmp = context2d(new OffscreenCanvas(width, height));
    tmp.drawImage(img, 0, 0, width, height);
    const src = tmp.getImageData(0, 0, width, height);
    const out = this.g.createImageData(width, height);
    for (let i = 0; i < src.data.length; i += 4) {
      const [r, g, b] = [src.data[i], src.data[i + 1], src.data[i + 2]];
      if (Math.max(r, g, b) > 127) {
        const grey = r === g && g === b;
        [out.data[i], out.data[i + 1], out.data[i + 2]] = grey ? [255, 0, 0] : [r, g, b];
        out.data[i + 3] = 255;
      }
    }
    this.g.putImageData(out, 0, 0);
  }

  /**
   * Opaque PNG: painted pixels white, the rest black.
   * @returns {Promise<Blob>}
   */
  async toPng() {
    const { width, height } = this.canvas;
    const src = this.g.getImageData(0, 0, width, height);
    const out = new ImageData(width, height);
    for (let i = 0; i < src.data.length; i += 4) {
      const v = src.data[i + 3] > 127 ? 255 : 0;
      out.data[i] = out.data[i + 1] = out.data[i + 2] = v;
      out.data[i + 3] = 255;
    }
    const c = new OffscreenCanvas(width, height);
    context2d(c).putImageData(out, 0, 0);
    return c.convertToBlob({ type: 'image/png' });
  }
}
