import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createImage, encodeJpeg, encodePng } from '@linewatch/vision';
import type { RgbImage } from '@linewatch/vision';
import type { AgentErrorCode } from '../src/errors.js';
import { FfmpegSource, ffmpegInputArgs } from '../src/sources/ffmpeg.js';
import { FolderSource } from '../src/sources/folder.js';
import { Backoff, FrameSlot } from '../src/sources/frame.js';
import type { FrameSink } from '../src/sources/frame.js';
import { SyntheticSource } from '../src/sources/synthetic.js';
import { waitFor } from './helpers/controller.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-src-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function recorder(): FrameSink & {
  frames: RgbImage[];
  problems: { code: AgentErrorCode; message: string }[];
  recoveries: number;
} {
  const r = {
    frames: [] as RgbImage[],
    problems: [] as { code: AgentErrorCode; message: string }[],
    recoveries: 0,
    frame(img: RgbImage) {
      r.frames.push(img);
    },
    problem(code: AgentErrorCode, message: string) {
      r.problems.push({ code, message });
    },
    recovered() {
      r.recoveries++;
    },
  };
  return r;
}

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

test('an on-demand synthetic camera delivers exactly when an empty slot is polled, at most fps frames a second', async () => {
  const slot = new FrameSlot('cam');
  let notified = 0;
  slot.watch(() => notified++);
  const src = new SyntheticSource({
    camera: 'cam',
    width: 32,
    height: 24,
    fps: 20,
    seed: 1,
    defectRate: 0,
    distinctFrames: 2,
    pace: 'on-demand',
  });
  let delivered = 0;
  src.start({
    frame: (img) => {
      delivered++;
      slot.put(img);
    },
    problem: () => undefined,
    recovered: () => undefined,
    pullWith: (pull) => slot.pullWith(pull),
  });
  try {
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(delivered, 0, 'no demand, no frames');
    const first = slot.poll();
    assert.equal(first?.index, 0, 'a poll of the empty slot gets a frame at once');
    assert.equal(slot.poll(), undefined, 'the next one is held back by the 20 fps ceiling');
    await waitFor('the held-back frame', () => delivered === 2, 1000);
    assert.equal(notified, 2, 'every frame landing in the slot notifies the consumer');
    assert.equal(slot.poll()?.index, 1);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(delivered, 2, 'still nothing without demand');
    assert.equal(slot.dropped, 0);
  } finally {
    await src.stop();
  }
});

test('FrameSlot keeps only the newest frame and counts the ones it dropped', async () => {
  const slot = new FrameSlot('cam');
  const img = (v: number): RgbImage => createImage(2, 2, [v, v, v]);
  for (let i = 0; i < 100; i++) slot.put(img(i));
  assert.equal(slot.dropped, 99);
  const f = await slot.take();
  assert.equal(f?.index, 99);
  assert.equal(f?.image.data[0], 99);
  const waiting = slot.take();
  slot.put(img(7));
  assert.equal((await waiting)?.index, 100);
  assert.equal(slot.dropped, 99, 'a waiting consumer takes the frame directly');
  slot.close();
  assert.equal(await slot.take(), undefined);
});

test('Backoff doubles up to its ceiling and resets', () => {
  const b = new Backoff(100, 500);
  assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 500]);
  b.reset();
  assert.equal(b.next(), 100);
});

test('synthetic camera paces frames at its rate, seeded and deterministic', async () => {
  const opts = { camera: 'c', width: 32, height: 24, fps: 50, seed: 7, defectRate: 0.5, distinctFrames: 8 };
  const s = new SyntheticSource(opts);
  const r = recorder();
  s.start(r);
  await new Promise((res) => setTimeout(res, 500));
  await s.stop();
  assert.ok(r.frames.length >= 12 && r.frames.length <= 30, `got ${r.frames.length} frames in 0.5 s at 50 fps`);
  assert.equal(r.frames[0]!.width, 32);
  const again = new SyntheticSource(opts);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => again.isDefective(i)),
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => s.isDefective(i)),
  );
  assert.ok([0, 1, 2, 3, 4, 5, 6, 7].some((i) => s.isDefective(i)));
});

test('ffmpeg input arguments per camera kind', () => {
  assert.deepEqual(ffmpegInputArgs({ kind: 'rtsp', url: 'rtsp://cam/1', tcp: true, width: 64, height: 64, fps: 5 }), [
    '-rtsp_transport',
    'tcp',
    '-i',
    'rtsp://cam/1',
  ]);
  assert.deepEqual(ffmpegInputArgs({ kind: 'mjpeg', url: 'http://cam/mjpg', width: 64, height: 64, fps: 5 }), [
    '-f',
    'mpjpeg',
    '-i',
    'http://cam/mjpg',
  ]);
  assert.deepEqual(ffmpegInputArgs({ kind: 'v4l2', device: '/dev/video0', width: 640, height: 480, fps: 15 }), [
    '-f',
    'v4l2',
    '-framerate',
    '15',
    '-video_size',
    '640x480',
    '-i',
    '/dev/video0',
  ]);
  assert.deepEqual(ffmpegInputArgs({ kind: 'video', path: '/v.mp4', loop: true, width: 64, height: 64, fps: 5 }), [
    '-re',
    '-stream_loop',
    '-1',
    '-i',
    '/v.mp4',
  ]);
});

test(
  'video file through a real ffmpeg child: frames of the configured size',
  { skip: spawnSync('ffmpeg', ['-version']).status !== 0 && 'ffmpeg not installed' },
  async () => {
    const video = join(dir, 'clip.mp4');
    const made = spawnSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=96x64:rate=10:duration=1',
      '-pix_fmt',
      'yuv420p',
      video,
    ]);
    assert.equal(made.status, 0, made.stderr.toString());
    const s = new FfmpegSource({
      camera: 'v',
      width: 48,
      height: 32,
      fps: 10,
      inputArgs: ffmpegInputArgs({ kind: 'video', path: video, loop: true, width: 48, height: 32, fps: 10 }),
      stallTimeoutMs: 5000,
      backoffMinMs: 100,
      backoffMaxMs: 1000,
    });
    const r = recorder();
    s.start(r);
    try {
      await waitFor('frames', () => r.frames.length >= 12, 8000); // > 10: the loop restarted the 1 s clip
    } finally {
      await s.stop();
    }
    assert.equal(r.frames[0]!.data.length, 48 * 32 * 3);
    assert.deepEqual(r.problems, []);
  },
);

test('a source process that dies is reported and restarted with backoff; partial frames are never delivered', async () => {
  // One and a half frames, then exit 3.
  const cmd = script('dies.sh', 'head -c 288 /dev/zero; exit 3');
  const s = new FfmpegSource({
    camera: 'x',
    width: 8,
    height: 8,
    fps: 5,
    inputArgs: [],
    command: cmd,
    stallTimeoutMs: 5000,
    backoffMinMs: 50,
    backoffMaxMs: 200,
  });
  const r = recorder();
  s.start(r);
  try {
    await waitFor('restarts', () => s.restarts >= 3, 5000);
  } finally {
    await s.stop();
  }
  assert.ok(r.problems.every((p) => p.code === 'LW_AGENT_SOURCE_FAILED'));
  assert.match(r.problems[0]!.message, /exited \(3\)/);
  assert.ok(
    r.frames.length >= s.restarts && r.frames.length <= s.restarts + 1,
    `one whole frame per run: ${r.frames.length} frames, ${s.restarts} restarts`,
  );
  assert.ok(r.frames.every((f) => f.data.length === 192));
  assert.ok(r.recoveries >= 1, 'a delivered frame after a failure counts as recovery');
});

test('a stalled source is detected, reported and restarted', async () => {
  const cmd = script('stalls.sh', 'exec sleep 30');
  const s = new FfmpegSource({
    camera: 'x',
    width: 8,
    height: 8,
    fps: 5,
    inputArgs: [],
    command: cmd,
    stallTimeoutMs: 200,
    backoffMinMs: 50,
    backoffMaxMs: 100,
  });
  const r = recorder();
  s.start(r);
  try {
    await waitFor(
      'stall + restart',
      () => r.problems.filter((p) => p.code === 'LW_AGENT_SOURCE_STALLED').length >= 2,
      5000,
    );
  } finally {
    await s.stop();
  }
  assert.ok(s.restarts >= 1);
});

test('a missing ffmpeg binary is reported, not thrown', async () => {
  const s = new FfmpegSource({
    camera: 'x',
    width: 8,
    height: 8,
    fps: 5,
    inputArgs: [],
    command: join(dir, 'no-such-binary'),
    stallTimeoutMs: 5000,
    backoffMinMs: 50,
    backoffMaxMs: 100,
  });
  const r = recorder();
  s.start(r);
  try {
    await waitFor('problem', () => r.problems.length >= 2, 3000);
  } finally {
    await s.stop();
  }
  assert.match(r.problems[0]!.message, /cannot start|exited/);
});

test('image folder loops; a corrupt file is reported once by name and skipped', async () => {
  const folder = join(dir, 'imgs');
  mkdirSync(folder);
  writeFileSync(join(folder, 'a.png'), await encodePng(createImage(20, 10, [10, 20, 30])));
  writeFileSync(join(folder, 'b.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])); // truncated JPEG
  writeFileSync(join(folder, 'c.jpg'), await encodeJpeg(createImage(40, 40, [200, 200, 200])));
  const s = new FolderSource({ camera: 'f', path: folder, width: 16, height: 16, fps: 40, backoffMs: 50 });
  const r = recorder();
  s.start(r);
  try {
    await waitFor('loops', () => r.frames.length >= 6, 5000);
  } finally {
    await s.stop();
  }
  assert.deepEqual(
    r.problems.map((p) => p.code),
    ['LW_AGENT_FRAME_INVALID'],
  );
  assert.match(r.problems[0]!.message, /b\.jpg/);
  assert.ok(r.frames.every((f) => f.width === 16 && f.height === 16));
});
