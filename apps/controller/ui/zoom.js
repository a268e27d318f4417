// Zoom and pan of the event stage: a CSS transform on the layer holding frame, heatmap and mask, so all three stay
// aligned. Wheel zooms around the cursor; shift-drag or middle-drag pans; the scale never drops below 1 (fit).
// Alt+wheel or ctrl+wheel does not zoom: it goes to `onModifiedWheel` (the event view sizes the brush with it).
const MIN = 1;
const MAX = 16;

/**
 * @param {HTMLElement} stage the clipping box; its data-zoom shows the scale (tests wait on it)
 * @param {HTMLElement} layer
 * @param {(direction: 1 | -1) => void} [onModifiedWheel] alt/ctrl+wheel: 1 up (away from the user), -1 down
 */
export function attachZoom(stage, layer, onModifiedWheel) {
  const z = { s: 1, x: 0, y: 0 };
  const apply = () => {
    // Keep the layer covering the stage: no panning past the edges.
    const r = stage.getBoundingClientRect();
    z.x = Math.min(0, Math.max(r.width * (1 - z.s), z.x));
    z.y = Math.min(0, Math.max(r.height * (1 - z.s), z.y));
    layer.style.transform = `translate(${z.x}px, ${z.y}px) scale(${z.s})`;
    stage.dataset.zoom = z.s.toFixed(2);
  };
  /** @param {number} factor @param {number} px @param {number} py stage pixels */
  const zoomAt = (factor, px, py) => {
    const s = Math.min(MAX, Math.max(MIN, z.s * factor));
    z.x = px - ((px - z.x) * s) / z.s;
    z.y = py - ((py - z.y) * s) / z.s;
    z.s = s;
    apply();
  };
  stage.addEventListener(
    'wheel',
    (ev) => {
      ev.preventDefault(); // also keeps ctrl+wheel from zooming the whole page
      if (ev.altKey || ev.ctrlKey) return onModifiedWheel?.(ev.deltaY < 0 ? 1 : -1);
      const r = stage.getBoundingClientRect();
      zoomAt(ev.deltaY < 0 ? 1.2 : 1 / 1.2, ev.clientX - r.left, ev.clientY - r.top);
    },
    { passive: false },
  );
  /** @type {{ x: number, y: number } | null} pointer position minus the pan at drag start */
  let drag = null;
  stage.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 1 && !ev.shiftKey) return;
    ev.preventDefault();
    drag = { x: ev.clientX - z.x, y: ev.clientY - z.y };
    stage.setPointerCapture(ev.pointerId);
  });
  stage.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    z.x = ev.clientX - drag.x;
    z.y = ev.clientY - drag.y;
    apply();
  });
  const end = () => (drag = null);
  stage.addEventListener('pointerup', end);
  stage.addEventListener('pointercancel', end);
  apply();
  return {
    /** @param {number} factor */
    by(factor) {
      const r = stage.getBoundingClientRect();
      zoomAt(factor, r.width / 2, r.height / 2);
    },
    reset() {
      Object.assign(z, { s: 1, x: 0, y: 0 });
      apply();
    },
  };
}
