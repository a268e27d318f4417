import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import type { AgentCamerasBody, InferResult, TriggerVerdict } from '@linewatch/protocol/http';
import { createImage, decodeGray, decodeImage, encodeJpeg, encodePng } from '@linewatch/vision';
import type { RgbImage } from '@linewatch/vision';
import { build } from '../src/agent.js';
import type { Agent } from '../src/agent.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { waitFor } from './helpers/controller.js';

const synthetic = { kind: 'synthetic', width: 32, height: 32, fps: 20 } as const;
const TOKEN = 'line-api-test-token-0123';
let fx: Fixture;
let agent: Agent;
before(async () => {
  fx = await fixture();
  agent = await build({
    config: fx.config({
      broker: { url: 'mqtt://127.0.0.1:1' }, // no broker: the API needs none
      normalSampleIntervalS: 0,
      integration: { api: { enabled: true, port: 0, maxBodyBytes: 64 * 1024, token: TOKEN } },
      cameras: [
        { id: 'free', source: synthetic },
        { id: 'gate', threshold: 0.25, source: { kind: 'trigger', source: synthetic } },
      ],
    }),
  });
  agent.start();
});
after(async () => {
  await agent.stop();
  fx.cleanup();
});

const auth = { authorization: `Bearer ${TOKEN}` };

/** Left half grey 128 (scores ~0), right half white (scores 1.0 with the tiny model). */
function halfWhite(width = 64, height = 64): RgbImage {
  const img = createImage(width, height, [128, 128, 128]);
  for (let y = 0; y < height; y++)
    for (let x = width / 2; x < width; x++) img.data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return img;
}

function post(url: string, body: Buffer, type: string, headers: Record<string, string> = auth) {
  return agent.lineApi!.app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: { 'content-type': type, ...headers },
  });
}

test('a PNG is scored: verdict, threshold, heatmap and a mask of the anomalous half, with timing', async () => {
  const res = await post('/v1/infer', await encodePng(halfWhite()), 'image/png');
  assert.equal(res.statusCode, 200, res.body);
  const r = res.json<InferResult>();
  assert.ok(Math.abs(r.score - 1) < 1e-3, `score ${r.score}`);
  assert.equal(r.threshold, 0.5, "the model's threshold without a camera");
  assert.equal(r.verdict, 'anomalous');
  assert.ok(Math.abs(r.normalized - 2) < 1e-2);
  assert.equal(r.modelVersion, '1.0.0+1');
  assert.deepEqual([r.width, r.height], [64, 64]);
  for (const k of ['queueMs', 'decodeMs', 'inferMs', 'encodeMs', 'totalMs'] as const) assert.ok(r.timing[k] >= 0, k);
  assert.ok(r.timing.totalMs >= r.timing.inferMs);
  const heat = await decodeImage(Buffer.from(r.heatmapPng, 'base64'));
  assert.deepEqual([heat.width, heat.height], [64, 64], 'heatmap is image-sized');
  const mask = await decodeGray(Buffer.from(r.mask.png, 'base64'));
  assert.deepEqual([mask.width, mask.height], [64, 64]);
  assert.equal(r.mask.threshold, 0.5);
  assert.ok(r.mask.anomalousPercent > 40 && r.mask.anomalousPercent < 60, `${r.mask.anomalousPercent} %`);
  assert.equal(mask.data[10 * 64 + 5], 0, 'grey half normal');
  assert.equal(mask.data[10 * 64 + 60], 255, 'white half anomalous');
});

test('JPEG and raw RGB are scored; the mask threshold and the camera threshold are honoured', async () => {
  const jpeg = await post('/v1/infer?camera=gate&maskThreshold=2', await encodeJpeg(halfWhite()), 'image/jpeg');
  assert.equal(jpeg.statusCode, 200, jpeg.body);
  const j = jpeg.json<InferResult>();
  assert.equal(j.threshold, 0.25, "the camera's configured threshold");
  assert.equal(j.camera, 'gate');
  assert.equal(j.mask.anomalousPercent, 0, 'nothing above 2');
  const img = createImage(16, 8, [128, 128, 128]);
  const raw = await post('/v1/infer?width=16&height=8', Buffer.from(img.data), 'application/octet-stream');
  assert.equal(raw.statusCode, 200, raw.body);
  const r = raw.json<InferResult>();
  assert.equal(r.verdict, 'ok');
  assert.equal(r.mask.anomalousPercent, 0);
  assert.deepEqual([r.width, r.height], [16, 8]);
});

test('heatmap and mask PNGs directly, the numbers in headers', async () => {
  const res = await post('/v1/infer/mask', await encodePng(halfWhite()), 'image/png');
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'image/png');
  assert.equal(res.headers['x-linewatch-verdict'], 'anomalous');
  assert.ok(Number(res.headers['x-linewatch-anomalous-percent']) > 40);
  const mask = await decodeGray(res.rawPayload);
  assert.deepEqual([mask.width, mask.height], [64, 64]);
  const heat = await post('/v1/infer/heatmap', await encodePng(halfWhite()), 'image/png');
  assert.equal(heat.statusCode, 200);
  assert.equal((await decodeImage(heat.rawPayload)).width, 64);
});

test('bad input is answered with a coded 4xx and the API keeps working', async () => {
  const png = await encodePng(halfWhite());
  const cases: [string, Buffer, string, number, string][] = [
    ['garbage bytes', Buffer.from('this is not an image at all'), 'image/jpeg', 400, 'LW_AGENT_API_BAD_IMAGE'],
    ['truncated PNG', png.subarray(0, Math.floor(png.length / 2)), 'image/png', 400, 'LW_AGENT_API_BAD_IMAGE'],
    ['empty body', Buffer.alloc(0), 'image/png', 400, 'LW_AGENT_API_BAD_IMAGE'],
    ['raw, wrong size', Buffer.alloc(100), 'application/octet-stream', 400, 'LW_AGENT_API_BAD_IMAGE'],
    ['oversize body', Buffer.alloc(65 * 1024, 1), 'image/png', 413, 'LW_AGENT_API_TOO_LARGE'],
    ['JSON instead of an image', Buffer.from('{"a":1}'), 'application/json', 415, 'LW_AGENT_API_UNSUPPORTED_MEDIA'],
  ];
  for (const [what, body, type, status, code] of cases) {
    const url = type === 'application/octet-stream' ? '/v1/infer?width=16&height=8' : '/v1/infer';
    const res = await post(url, body, type);
    assert.equal(res.statusCode, status, `${what}: ${res.body}`);
    assert.equal(res.json<{ code: string }>().code, code, what);
  }
  const query: [string, number, string][] = [
    ['/v1/infer', 400, 'LW_AGENT_API_BAD_REQUEST'], // raw without width/height
    ['/v1/infer?width=0&height=8', 400, 'LW_AGENT_API_BAD_REQUEST'],
    ['/v1/infer?width=10000&height=10000', 413, 'LW_AGENT_API_TOO_LARGE'], // 100 MP > maxPixels, before the body
    ['/v1/infer?camera=nope&width=16&height=8', 404, 'LW_AGENT_UNKNOWN_CAMERA'],
    ['/v1/nothing', 404, 'LW_AGENT_API_NOT_FOUND'],
  ];
  for (const [url, status, code] of query) {
    const res = await post(url, Buffer.alloc(16 * 8 * 3), 'application/octet-stream');
    assert.equal(res.statusCode, status, `${url}: ${res.body}`);
    assert.equal(res.json<{ code: string }>().code, code, url);
  }
  const noToken = await post('/v1/infer', png, 'image/png', {});
  assert.equal(noToken.statusCode, 401);
  assert.equal(noToken.json<{ code: string }>().code, 'LW_AGENT_API_UNAUTHORIZED');
  const wrong = await post('/v1/infer', png, 'image/png', { authorization: `Bearer ${TOKEN.replace('0', '1')}` });
  assert.equal(wrong.statusCode, 401);
  assert.equal((await post('/v1/infer', png, 'image/png')).statusCode, 200, 'still serving');
});

test('POST /v1/trigger/:camera fires a trigger camera and answers with its verdict and part id', async () => {
  const res = await post('/v1/trigger/gate?partId=SN-42', Buffer.alloc(0), 'application/octet-stream');
  assert.equal(res.statusCode, 200, res.body);
  const v = res.json<TriggerVerdict>();
  assert.equal(v.partId, 'SN-42');
  assert.equal(v.camera, 'gate');
  assert.equal(v.threshold, 0.25);
  const free = await agent.lineApi!.app.inject({ method: 'POST', url: '/v1/trigger/free', headers: auth });
  assert.equal(free.statusCode, 409);
  assert.equal(free.json<{ code: string }>().code, 'LW_AGENT_NOT_TRIGGER_CAMERA');
  const nope = await agent.lineApi!.app.inject({ method: 'POST', url: '/v1/trigger/nope', headers: auth });
  assert.equal(nope.statusCode, 404);
  const badPart = await agent.lineApi!.app.inject({
    method: 'POST',
    url: '/v1/trigger/gate?partId=a%20b',
    headers: auth,
  });
  assert.equal(badPart.statusCode, 400, 'part ids are printable ASCII without spaces');
  const cams = await agent.lineApi!.app.inject({ method: 'GET', url: '/v1/cameras', headers: auth });
  const body = cams.json<AgentCamerasBody>();
  const gate = body.cameras.find((c) => c.id === 'gate')!;
  assert.equal(gate.trigger, true);
  assert.equal(gate.lastVerdict?.partId, 'SN-42');
  assert.ok(gate.counters.ok + gate.counters.anomalous >= 1);
  assert.equal(body.modelVersion, '1.0.0+1');
});

test('the API listens on loopback only; requests and camera frames both progress under load', async (t) => {
  const url = await agent.lineApi!.listening!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const raw = Buffer.from(createImage(32, 32, [128, 128, 128]).data);
  const free = agent.pipeline.cameras.get('free')!;
  const before = free.scored;
  const started = Date.now();
  let answered = 0;
  // Four clients back to back for ~2 s over real HTTP, while the camera runs at its 20 fps.
  await Promise.all(
    [0, 1, 2, 3].map(async () => {
      while (Date.now() - started < 2000) {
        const status = await httpPost(`${url}/v1/infer?width=32&height=32`, raw);
        assert.ok(status === 200 || status === 503, `status ${status}`);
        if (status === 200) answered++;
      }
    }),
  );
  const camFrames = free.scored - before;
  t.diagnostic(`in ~2 s: ${answered} API answers, ${camFrames} camera frames scored`);
  assert.ok(answered >= 4, `API answered ${answered}`);
  assert.ok(camFrames >= 10, `the camera kept being scored: ${camFrames} frames in ~2 s at 20 fps`);
});

test('beyond concurrency + queueSize requests are refused with 503 and Retry-After', async () => {
  const local = await fixture();
  const busy = await build({
    config: local.config({
      broker: { url: 'mqtt://127.0.0.1:1' },
      normalSampleIntervalS: 0,
      integration: { api: { enabled: true, port: 0, concurrency: 1, queueSize: 1 } },
      cameras: [{ id: 'free', source: synthetic }],
    }),
  });
  busy.start();
  try {
    await waitFor('a scored frame', () => busy.pipeline.cameras.get('free')!.scored > 0, 10_000);
    const raw = Buffer.from(createImage(256, 256, [200, 200, 200]).data);
    const all = await Promise.all(
      Array.from({ length: 12 }, () =>
        busy.lineApi!.app.inject({
          method: 'POST',
          url: '/v1/infer?width=256&height=256',
          payload: raw,
          headers: { 'content-type': 'application/octet-stream' },
        }),
      ),
    );
    const refused = all.filter((r) => r.statusCode === 503);
    assert.ok(refused.length >= 1, `statuses ${all.map((r) => r.statusCode).join(',')}`);
    assert.ok(all.every((r) => r.statusCode === 200 || r.statusCode === 503));
    assert.ok(all.filter((r) => r.statusCode === 200).length >= 2, 'the running and the queued one are answered');
    assert.equal(refused[0]!.json<{ code: string }>().code, 'LW_AGENT_API_BUSY');
    assert.equal(refused[0]!.headers['retry-after'], '1');
  } finally {
    await busy.stop();
    local.cleanup();
  }
});

function httpPost(url: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': body.length, ...auth },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the API can listen on a unix socket instead of a port', async () => {
  const local = await fixture();
  const socketPath = `${local.dir}/api.sock`;
  const onSocket = await build({
    config: local.config({
      broker: { url: 'mqtt://127.0.0.1:1' },
      normalSampleIntervalS: 0,
      integration: { api: { enabled: true, socketPath } },
      cameras: [{ id: 'free', source: synthetic }],
    }),
  });
  onSocket.start();
  try {
    assert.equal(await onSocket.lineApi!.listening, socketPath);
    await waitFor('a scored frame', () => onSocket.pipeline.cameras.get('free')!.scored > 0, 10_000);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath, path: '/v1/cameras', method: 'GET' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    const cams = JSON.parse(body) as AgentCamerasBody;
    assert.equal(cams.cameras[0]?.id, 'free');
    assert.ok(cams.cameras[0]!.counters.ok + cams.cameras[0]!.counters.anomalous > 0);
  } finally {
    await onSocket.stop();
    local.cleanup();
  }
});
