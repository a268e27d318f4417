/** MJPEG over HTTP through the real ffmpeg child: a multipart/x-mixed-replace server on loopback, like an IP camera. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createImage, encodeJpeg } from '@linewatch/vision';
import type { RgbImage } from '@linewatch/vision';
import type { AgentErrorCode } from '../src/errors.js';
import { FfmpegSource, ffmpegInputArgs } from '../src/sources/ffmpeg.js';
import { waitFor } from './helpers/controller.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

test(
  'MJPEG camera over HTTP: frames arrive at the configured size; a camera that drops the connection is restarted',
  { skip: !hasFfmpeg && 'ffmpeg not installed' },
  async () => {
    const jpeg = await encodeJpeg(createImage(80, 60, [180, 40, 40]));
    let connections = 0;
    const server = createServer((req, res) => {
      connections++;
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=lwframe' });
      let sent = 0;
      const t = setInterval(() => {
        res.write(`--lwframe\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
        res.write(jpeg);
        res.write('\r\n');
        // The first connection dies after 15 frames, like a camera rebooting.
        if (connections === 1 && ++sent >= 15) {
          clearInterval(t);
          res.destroy();
        }
      }, 50);
      req.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/video.mjpg`;
    const frames: RgbImage[] = [];
    const problems: AgentErrorCode[] = [];
    const src = new FfmpegSource({
      camera: 'ipcam',
      width: 40,
      height: 30,
      fps: 20,
      inputArgs: ffmpegInputArgs({ kind: 'mjpeg', url, width: 40, height: 30, fps: 20 }),
      stallTimeoutMs: 3000,
      backoffMinMs: 100,
      backoffMaxMs: 500,
    });
    src.start({ frame: (f) => frames.push(f), problem: (c) => problems.push(c), recovered: () => undefined });
    try {
      await waitFor('frames after a reconnect', () => connections >= 2 && frames.length >= 20, 15_000);
    } finally {
      await src.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    assert.equal(frames[0]!.data.length, 40 * 30 * 3);
    const px = frames[5]!.data;
    assert.ok(px[0]! > 140 && px[1]! < 90, `red-ish pixel, got ${px[0]},${px[1]},${px[2]}`);
    assert.ok(
      problems.includes('LW_AGENT_SOURCE_FAILED') || problems.includes('LW_AGENT_SOURCE_STALLED'),
      'the drop was reported',
    );
  },
);
