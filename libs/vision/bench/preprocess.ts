/** Per-frame preprocessing cost for the agent: 1920×1080 RGB → 256×256 NCHW, reused buffer. */
import { IMAGENET_SETTINGS, createImage, preprocessInto, resizeMap } from '../src/index.js';

const frame = createImage(1920, 1080, [90, 120, 150]);
const out = new Float32Array(3 * 256 * 256);
for (let i = 0; i < 5; i++) preprocessInto(out, frame, IMAGENET_SETTINGS);
let t = performance.now();
const n = 50;
for (let i = 0; i < n; i++) preprocessInto(out, frame, IMAGENET_SETTINGS);
console.log(`preprocessInto 1920×1080 → 256×256: ${((performance.now() - t) / n).toFixed(2)} ms/frame`);
const map = { width: 64, height: 64, data: new Float32Array(64 * 64) };
t = performance.now();
for (let i = 0; i < n; i++) resizeMap(map, 1920, 1080);
console.log(`resizeMap 64×64 → 1920×1080: ${((performance.now() - t) / n).toFixed(2)} ms`);
