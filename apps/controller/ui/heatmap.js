// Anomaly map (8-bit grey PNG) → translucent colour overlay: hue from blue (low) to red (high), alpha rising with
// the value so normal regions stay see-through. The map's grey values are returned too: "seed from heatmap" cuts
// them at a threshold into a starting mask.

/** @param {number} v 0..1 @returns {[number, number, number]} r, g, b */
function jet(v) {
  /** @param {number} x */
  const f = (x) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [f(1.5 - Math.abs(4 * v - 3)), f(1.5 - Math.abs(4 * v - 2)), f(1.5 - Math.abs(4 * v - 1))];
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {HTMLImageElement} mapImg
 * @returns {Uint8ClampedArray} the map's grey values (0..255) at the canvas size, row by row
 */
export function drawHeatmap(canvas, mapImg) {
  const g = canvas.getContext('2d');
  if (!g) throw new Error('ui: no 2d context on the heatmap canvas'); // only if it had another kind of context
  g.drawImage(mapImg, 0, 0, canvas.width, canvas.height);
  const img = g.getImageData(0, 0, canvas.width, canvas.height);
  const values = new Uint8ClampedArray(canvas.width * canvas.height);
  for (let i = 0; i < img.data.length; i += 4) {
    values[i / 4] = img.data[i];
    const v = img.data[i] / 255;
    const [r, gg, b] = jet(v);
    img.data[i] = r;
    img.data[i + 1] = gg;
    img.data[i + 2] = b;
    img.data[i + 3] = Math.round(200 * v);
  }
  g.putImageData(img, 0, 0);
  return values;
}
