import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLineRate } from '../bench/line-rate.js';
import { cameraClocks } from '../bench/paced-camera.js';

test('--line-rate parses CAMERASxFPS lists and refuses anything else', () => {
  assert.deepEqual(parseLineRate('1x25,4x25'), [
    { cameras: 1, fps: 25 },
    { cameras: 4, fps: 25 },
  ]);
  assert.deepEqual(parseLineRate('2x12.5'), [{ cameras: 2, fps: 12.5 }]);
  assert.deepEqual(parseLineRate('none'), []);
  for (const bad of ['4', '0x25', '4x0', 'x25', '4x25,', 'fourx25'])
    assert.throws(() => parseLineRate(bad), /--line-rate/);
});

test('drifting cameras start spread over a period and neighbours slide one period apart over the run', () => {
  const clocks = cameraClocks('drift', 4, 25, 20);
  assert.deepEqual(
    clocks.map((c) => c.offsetMs),
    [0, 10, 20, 30],
  );
  for (let i = 1; i < 4; i++) {
    const slide = (clocks[i]!.fps - clocks[i - 1]!.fps) * 20; // frames gained over the run = periods slid
    assert.ok(Math.abs(slide - 1) < 1e-9, `camera ${i} slides ${slide} periods`);
  }
  const mean = clocks.reduce((a, c) => a + c.fps, 0) / 4;
  assert.ok(Math.abs(mean - 25) < 1e-9, 'the line as a whole runs at the nominal rate');
  assert.deepEqual(cameraClocks('drift', 1, 25, 20), [{ offsetMs: 0, fps: 25 }]);
});

test('spread keeps the nominal rate at even offsets; aligned starts every camera at once', () => {
  assert.deepEqual(cameraClocks('spread', 2, 25, 20), [
    { offsetMs: 0, fps: 25 },
    { offsetMs: 20, fps: 25 },
  ]);
  assert.deepEqual(cameraClocks('aligned', 3, 10, 20), [
    { offsetMs: 0, fps: 10 },
    { offsetMs: 0, fps: 10 },
    { offsetMs: 0, fps: 10 },
  ]);
});
