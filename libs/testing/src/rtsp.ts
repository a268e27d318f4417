/**
 * A loopback RTSP camera for tests (the agent's and the field-install e2e; its own export, so importing
 * @linewatch/testing does not probe for ffmpeg). ffmpeg's RTSP muxer cannot listen, so ffmpeg streams a video file as RTP (Motion
 * JPEG, payload 26) to a UDP port here, and this minimal RTSP server (OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN; TCP
 * interleaved transport only, which is what the agent's `tcp: true` default asks for) relays those packets to every
 * client that PLAYs. Enough for ffmpeg as a client; not a general RTSP server.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';

export const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;

/** A short test-pattern clip (width×height, 10 fps, 3 s). */
export function makeClip(dir: string, width: number, height: number): string {
  const file = join(dir, `clip-${width}x${height}.mp4`);
  const r = spawnSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
    ...['-i', `testsrc=size=${width}x${height}:rate=10`, '-t', '3', '-pix_fmt', 'yuv420p', '-c:v', 'mpeg4', file],
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg clip: ${r.stderr.toString()}`);
  return file;
}

export interface RtspCamera {
  readonly url: string;
  /** RTSP requests seen, e.g. 'DESCRIBE'. */
  readonly requests: string[];
  stop(): Promise<void>;
}

const SDP = (port: number): string =>
  [
    'v=0',
    `o=- 0 0 IN IP4 127.0.0.1`,
    's=linewatch test camera',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=video 0 RTP/AVP 26',
    'a=rtpmap:26 JPEG/90000',
    'a=control:trackID=0',
    `a=tool:port ${port}`,
    '',
  ].join('\r\n');

function respond(sock: Socket, cseq: string, extra: string[], body = ''): void {
  const head = ['RTSP/1.0 200 OK', `CSeq: ${cseq}`, ...extra];
  if (body) head.push(`Content-Length: ${Buffer.byteLength(body)}`);
  sock.write(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** Handles one client connection: requests in, interleaved RTP out after PLAY. */
function serveClient(sock: Socket, base: string, port: number, players: Set<Socket>, requests: string[]): void {
  let buf = Buffer.alloc(0);
  sock.on('error', () => players.delete(sock));
  sock.on('close', () => players.delete(sock));
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf[0] === 0x24) {
        // Interleaved data from the client (RTCP receiver reports): skip it.
        if (buf.length < 4) return;
        const len = buf.readUInt16BE(2);
        if (buf.length < 4 + len) return;
        buf = buf.subarray(4 + len);
        continue;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      buf = buf.subarray(end + 4);
      const method = lines[0]!.split(' ')[0]!;
      requests.push(method);
      const cseq =
        lines
          .find((l) => /^cseq:/i.test(l))
          ?.split(':')[1]
          ?.trim() ?? '0';
      if (method === 'OPTIONS') respond(sock, cseq, ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
      else if (method === 'DESCRIBE')
        respond(sock, cseq, [`Content-Base: ${base}/`, 'Content-Type: application/sdp'], SDP(port));
      else if (method === 'SETUP')
        respond(sock, cseq, ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'Session: 4242']);
      else if (method === 'PLAY') {
        respond(sock, cseq, ['Session: 4242', 'Range: npt=0.000-']);
        players.add(sock);
      } else if (method === 'TEARDOWN') {
        respond(sock, cseq, ['Session: 4242']);
        sock.end();
      } else sock.write(`RTSP/1.0 501 Not Implemented\r\nCSeq: ${cseq}\r\n\r\n`);
    }
  });
}

/** Streams `clip` (looping) as an RTSP camera at rtsp://127.0.0.1:<port>/cam. */
export async function rtspCamera(clip: string): Promise<RtspCamera> {
  const players = new Set<Socket>();
  const requests: string[] = [];
  const udp: UdpSocket = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  udp.on('message', (pkt: Buffer) => {
    const head = Buffer.from([0x24, 0, (pkt.length >> 8) & 0xff, pkt.length & 0xff]);
    for (const p of players) p.write(Buffer.concat([head, pkt]));
  });
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const url = `rtsp://127.0.0.1:${port}/cam`;
  const all = new Set<Socket>();
  server.on('connection', (sock) => {
    all.add(sock);
    sock.on('close', () => all.delete(sock));
    serveClient(sock, url, port, players, requests);
  });
  const udpPort = (udp.address() as AddressInfo).port;
  const ffmpeg: ChildProcess = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', clip],
      ...[
        '-an',
        '-c:v',
        'mjpeg',
        '-pix_fmt',
        'yuvj420p',
        '-q:v',
        '5',
        '-huffman',
        'default',
        '-f',
        'rtp',
        `rtp://127.0.0.1:${udpPort}`,
      ],
    ],
    { stdio: 'ignore' },
  );
  return {
    url,
    requests,
    async stop() {
      if (ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
        await new Promise<void>((r) => {
          ffmpeg.once('exit', () => r());
          ffmpeg.kill('SIGKILL');
        });
      }
      for (const s of all) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      udp.close();
    },
  };
}
