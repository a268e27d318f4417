// Polygon / lasso tool for the mask: in the painter's 'polygon' mode a click adds a corner and a drag adds a
// freehand run of points (a lasso, closed when the button is released); Enter, a double-click or a click on the
// first corner closes and fills the shape (erase-fill with alt held on close); Backspace drops the last corner and
// Escape cancels. The open outline is drawn on a preview canvas above the mask, which takes no pointer events.
/** @import { Painter, Point } from './painter.js' */

/** Screen pixels: a click this close to the first corner closes the polygon. */
const CLOSE_PX = 8;
/** Canvas pixels between lasso points: denser adds nothing but work. */
const LASSO_STEP = 2;
/** A drag that added this many points is a lasso: releasing the button closes it. */
const LASSO_MIN_POINTS = 6;

/**
 * @param {HTMLCanvasElement} canvas the mask layer (pointer events)
 * @param {HTMLCanvasElement} preview same size, above it
 * @param {Painter} painter
 */
export function attachPolygon(canvas, preview, painter) {
  const g = preview.getContext('2d');
  if (!g) throw new Error('ui: no 2d context on the polygon preview');
  /** @type {Point[]} */
  let points = [];
  /** points added by the current drag, or -1 when no drag is under way */
  let dragged = -1;
  /** @param {PointerEvent | MouseEvent} ev @returns {Point} */
  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    return {
      x: ((ev.clientX - r.left) * canvas.width) / r.width,
      y: ((ev.clientY - r.top) * canvas.height) / r.height,
    };
  };
  /** @param {PointerEvent} ev whether the pointer is on the first corner, measured on screen */
  const onFirst = (ev) => {
    const r = canvas.getBoundingClientRect();
    const p = points[0];
    if (!p) return false;
    const dx = ((p.x - at(ev).x) * r.width) / canvas.width;
    const dy = ((p.y - at(ev).y) * r.height) / canvas.height;
    return Math.hypot(dx, dy) <= CLOSE_PX;
  };
  const draw = () => {
    g.clearRect(0, 0, preview.width, preview.height);
    if (points.length === 0) return;
    const px = Math.max(1, preview.width / 400); // about one screen pixel at fit
    g.lineWidth = px;
    g.strokeStyle = 'rgb(255,255,0)';
    g.fillStyle = 'rgba(255,255,0,0.25)';
    g.beginPath();
    g.moveTo(points[0].x, points[0].y);
    for (const p of points.slice(1)) g.lineTo(p.x, p.y);
    g.fill();
    g.stroke();
    g.fillStyle = 'rgb(255,255,0)';
    g.fillRect(points[0].x - 2 * px, points[0].y - 2 * px, 4 * px, 4 * px);
  };
  const cancel = () => {
    points = [];
    dragged = -1;
    draw();
  };
  /** @param {boolean} [erase] */
  const close = (erase = false) => {
    const shape = points;
    cancel();
    painter.fillPolygon(shape, erase);
  };
  canvas.addEventListener('pointerdown', (ev) => {
    if (painter.mode !== 'polygon' || ev.button !== 0 || ev.shiftKey) return;
    if (points.length >= 3 && onFirst(ev)) return close(ev.altKey);
    canvas.setPointerCapture(ev.pointerId);
    points.push(at(ev));
    dragged = 0;
    draw();
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (dragged < 0) return;
    const p = at(ev);
    const last = points[points.length - 1];
    if (last && Math.hypot(p.x - last.x, p.y - last.y) < LASSO_STEP) return;
    points.push(p);
    dragged += 1;
    draw();
  });
  canvas.addEventListener('pointerup', (ev) => {
    const lasso = dragged >= LASSO_MIN_POINTS;
    dragged = -1;
    if (lasso && points.length >= 3) close(ev.altKey);
  });
  canvas.addEventListener('dblclick', (ev) => {
    if (painter.mode === 'polygon' && points.length >= 3) close(ev.altKey);
  });
  return {
    /** Whether a shape is being drawn (Escape then cancels it instead of leaving the event). */
    get open() {
      return points.length > 0;
    },
    close,
    cancel,
    /** Drops the last corner. */
    pop() {
      points.pop();
      draw();
    },
  };
}
