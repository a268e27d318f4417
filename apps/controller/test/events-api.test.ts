import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { App } from '../src/app.js';
import { login, testApp, userSession, type Session } from './helpers/http.js';
import { FRAME_H, FRAME_W, images } from './helpers/messages.js';
import { grayPng } from './helpers/png.js';

let app: App;
let admin: Session;
let qa: Session;
let qaUserId: string;
const ids: string[] = []; // oldest first
const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);

before(async () => {
  const t = await testApp();
  app = t.app;
  admin = await login(app, 'admin', t.adminPassword);
  qa = await userSession(app, admin, 'qa1', 'qa', ['line-1']);
  qaUserId = (await app.ctx.store.users.findByName('qa1'))!.id;
  const { jpeg, map } = await images();
  const frameRef = await app.ctx.files.put(jpeg);
  const mapRef = await app.ctx.files.put(map);
  const specs = [
    { line: 'line-1', camera: 'cam-1', score: 0.6, modelVersion: 'm1' },
    { line: 'line-2', camera: 'cam-1', score: 0.9, modelVersion: 'm1' },
    { line: 'line-1', camera: 'cam-2', score: 0.7, modelVersion: 'm2' },
    { line: 'line-1', camera: 'cam-1', score: 0.8, modelVersion: 'm2' },
    { line: 'line-1', camera: 'cam-1', score: 0.95, modelVersion: 'm2' },
  ];
  for (const [i, s] of specs.entries()) {
    const id = randomUUID();
    ids.push(id);
    await app.ctx.store.events.insertOnce({
      id,
      deviceId: s.line === 'line-1' ? 'dev-1' : 'dev-2',
      sequence: i,
      ts: new Date(T0 + i * 1000),
      receivedAt: new Date(T0 + i * 1000 + 10),
      threshold: 0.5,
      frameRef,
      mapRef,
      frameWidth: FRAME_W,
      frameHeight: FRAME_H,
      ...s,
    });
  }
});
after(async () => {
  await app.close();
});

const get = (url: string, s: Session = qa) => app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
const queueIds = async (url: string, s: Session = qa): Promise<string[]> => {
  const res = await get(url, s);
  assert.equal(res.statusCode, 200, res.body);
  return res.json().events.map((e: { id: string }) => e.id);
};

test('review queue: newest first, only visible lines, filters', async () => {
  const [e0, e1, e2, e3, e4] = ids;
  assert.deepEqual(await queueIds('/api/events'), [e4, e3, e2, e0]);
  assert.deepEqual(await queueIds('/api/events', admin), [e4, e3, e2, e1, e0]);
  assert.deepEqual(await queueIds('/api/events?line=line-2'), []);
  assert.deepEqual(await queueIds('/api/events?camera=cam-2'), [e2]);
  assert.deepEqual(await queueIds('/api/events?modelVersion=m2&minScore=0.75&maxScore=0.9'), [e3]);
  assert.deepEqual(await queueIds('/api/events?status=confirmed'), []);
  const bad = await get('/api/events?limit=0');
  assert.equal(bad.json().code, 'LW_CTRL_VALIDATION');
  assert.equal((await get('/api/events?cursor=!!')).json().code, 'LW_CTRL_VALIDATION');
  assert.equal((await get('/api/events?status=maybe')).statusCode, 400);
});

test('review queue: cursor pagination walks every visible event once', async () => {
  const seen: string[] = [];
  let url = '/api/events?limit=2';
  for (let pages = 0; pages < 5; pages++) {
    const body = (await get(url)).json();
    seen.push(...body.events.map((e: { id: string }) => e.id));
    if (!body.nextCursor) break;
    url = `/api/events?limit=2&cursor=${body.nextCursor}`;
  }
  assert.deepEqual(seen, [ids[4], ids[3], ids[2], ids[0]]);
});

test('event detail and blobs; other lines answer 404', async () => {
  const res = await get(`/api/events/${ids[0]}`);
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().score, 0.6);
  assert.equal(res.json().labelStatus, 'pending');
  assert.equal(res.json().ts, new Date(T0).toISOString());
  assert.equal((await get(`/api/events/${ids[1]}`)).statusCode, 404);
  assert.equal((await get(`/api/events/${ids[1]}/frame`)).statusCode, 404);
  assert.equal((await get(`/api/events/${ids[1]}`, admin)).statusCode, 200);
  assert.equal((await get('/api/events/nope')).json().code, 'LW_CTRL_NOT_FOUND');
  const { jpeg, map } = await images();
  const frame = await get(`/api/events/${ids[0]}/frame`);
  assert.equal(frame.headers['content-type'], 'image/jpeg');
  assert.deepEqual(new Uint8Array(frame.rawPayload), jpeg);
  const m = await get(`/api/events/${ids[0]}/map`);
  assert.equal(m.headers['content-type'], 'image/png');
  assert.deepEqual(new Uint8Array(m.rawPayload), map);
  assert.equal((await get(`/api/events/${ids[0]}/mask`)).statusCode, 404);
  assert.equal((await get(`/api/events/${ids[0]}/secrets`)).statusCode, 400);
});

test('confirm and reject record who and when; CSRF required; other lines 404', async () => {
  const post = (url: string, headers: Record<string, string> = qa.headers) =>
    app.inject({ method: 'POST', url, headers });
  assert.equal((await post(`/api/events/${ids[2]}/confirm`, { cookie: qa.cookie })).json().code, 'LW_CTRL_CSRF');
  const c = await post(`/api/events/${ids[2]}/confirm`);
  assert.equal(c.statusCode, 200);
  assert.equal(c.json().labelStatus, 'confirmed');
  assert.equal(c.json().reviewerId, qaUserId);
  assert.ok(c.json().reviewedAt);
  const r = await post(`/api/events/${ids[3]}/reject`);
  assert.equal(r.json().labelStatus, 'rejected');
  assert.equal((await post(`/api/events/${ids[1]}/reject`)).statusCode, 404);
  assert.equal((await app.ctx.store.events.get(ids[1]!))?.labelStatus, 'pending');
  assert.deepEqual(await queueIds('/api/events?status=confirmed'), [ids[2]]);
  assert.equal((await post(`/api/events/${ids[2]}/delete`)).statusCode, 400);
});

test('mask upload: PNG of the frame size only, decoded under a pixel limit', async () => {
  const put = (payload: Buffer | Uint8Array, id = ids[0]!, type = 'image/png') =>
    app.inject({
      method: 'PUT',
      url: `/api/events/${id}/mask`,
      headers: { ...qa.headers, 'content-type': type },
      payload: Buffer.from(payload),
    });
  const pixels = new Uint8Array(FRAME_W * FRAME_H).map((_, i) => (i % FRAME_W < 8 ? 255 : 0));
  const wrongSize = await put(grayPng(FRAME_W + 1, FRAME_H, new Uint8Array((FRAME_W + 1) * FRAME_H)));
  assert.equal(wrongSize.statusCode, 422);
  assert.equal(wrongSize.json().code, 'LW_CTRL_MASK_SIZE_MISMATCH');
  const { jpeg } = await images();
  const notPng = await put(jpeg);
  assert.equal(notPng.json().code, 'LW_CTRL_MASK_INVALID');
  // A PNG header declaring 20000×20000 pixels is refused before any pixel is decoded.
  const bomb = Buffer.from(grayPng(1, 1, new Uint8Array(1)));
  bomb.writeUInt32BE(20000, 16);
  bomb.writeUInt32BE(20000, 20);
  assert.equal((await put(bomb)).json().code, 'LW_CTRL_MASK_INVALID');
  assert.equal((await put(Buffer.from('x'), ids[0], 'text/plain')).statusCode, 415);
  const huge = await put(Buffer.alloc(9 * 1024 * 1024));
  assert.equal(huge.statusCode, 413);
  assert.equal(huge.json().code, 'LW_CTRL_PAYLOAD_TOO_LARGE');
  assert.equal((await put(grayPng(FRAME_W, FRAME_H, pixels), ids[1])).statusCode, 404);
  const ok = await put(grayPng(FRAME_W, FRAME_H, pixels));
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().hasMask, true);
  assert.equal(ok.json().labelStatus, 'confirmed');
  const back = await get(`/api/events/${ids[0]}/mask`);
  assert.deepEqual(new Uint8Array(back.rawPayload), grayPng(FRAME_W, FRAME_H, pixels));
  const listed = (await get('/api/events?status=confirmed')).json().events;
  assert.equal(listed.find((e: { id: string }) => e.id === ids[0]).hasMask, true);
});

test('fleet is scoped to visible lines; /metrics exposes ingest and HTTP metrics', async () => {
  const d = { name: 'n', site: 'default', credentialHash: 'h', createdAt: new Date(T0), disabledAt: null };
  await app.ctx.store.devices.create({ ...d, id: 'dev-1', line: 'line-1' });
  await app.ctx.store.devices.create({ ...d, id: 'dev-2', line: 'line-2' });
  await app.ctx.store.fleet.upsert('dev-1', { online: true, lastSeen: new Date(T0) }, new Date(T0));
  await app.ctx.store.fleet.upsert('dev-2', { online: true, lastSeen: new Date(T0) }, new Date(T0));
  const fleet = (await get('/api/fleet')).json().devices;
  assert.deepEqual(
    fleet.map((f: { deviceId: string }) => f.deviceId),
    ['dev-1'],
  );
  assert.equal((await get('/api/fleet', admin)).json().devices.length, 2);
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  for (const name of [
    'lw_ingest_messages_total',
    'lw_ingest_lag_seconds',
    'lw_ingest_queue_depth',
    'lw_http_requests_total',
  ]) {
    assert.match(metrics.body, new RegExp(name));
  }
  assert.match(metrics.body, /lw_http_requests_total\{method="GET",route="\/api\/fleet",status="200"\} 2/);
});

test('score aggregates per device (visible lines only), mean computed from count and sum', async () => {
  const minute = new Date(T0);
  await app.ctx.store.scores.add([
    { deviceId: 'dev-1', camera: 'cam-1', minute, count: 4, sum: 1, max: 0.6, flagged: 1 },
    { deviceId: 'dev-2', camera: 'cam-1', minute, count: 1, sum: 1, max: 1, flagged: 0 },
  ]);
  const range = `from=${new Date(T0 - 60_000).toISOString()}&to=${new Date(T0 + 60_000).toISOString()}`;
  const res = await get(`/api/devices/dev-1/scores?${range}`);
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json().points, [
    { camera: 'cam-1', minute: minute.toISOString(), count: 4, mean: 0.25, max: 0.6, flagged: 1 },
  ]);
  assert.equal((await get(`/api/devices/dev-2/scores?${range}`)).statusCode, 404);
  assert.equal((await get(`/api/devices/dev-2/scores?${range}`, admin)).json().points.length, 1);
  const backwards = `from=${new Date(T0).toISOString()}&to=${new Date(T0 - 1).toISOString()}`;
  assert.equal((await get(`/api/devices/dev-1/scores?${backwards}`)).json().code, 'LW_CTRL_VALIDATION');
  assert.equal((await get('/api/devices/dev-1/scores?from=yesterday')).statusCode, 400);
});

test('label statistics per line agree with the queue, only visible lines', async () => {
  const stats = async (s: Session) => {
    const res = await get('/api/stats/labels', s);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().lines as Array<{ line: string; pending: number; confirmed: number; rejected: number }>;
  };
  const mine = await stats(qa);
  assert.deepEqual(
    mine.map((l) => l.line),
    ['line-1'],
  );
  for (const status of ['pending', 'confirmed', 'rejected'] as const) {
    assert.equal(mine[0]![status], (await queueIds(`/api/events?status=${status}&limit=200`)).length, status);
  }
  const all = await stats(admin);
  assert.deepEqual(
    all.map((l) => l.line),
    ['line-1', 'line-2'],
  );
  assert.equal(all[1]!.pending + all[1]!.confirmed + all[1]!.rejected, 1);
  assert.equal((await app.inject({ method: 'GET', url: '/api/stats/labels' })).statusCode, 401);
});
