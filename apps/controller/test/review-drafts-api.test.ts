/**
 * Review drafts over HTTP: per event and user, restored byte for byte, checked like masks, invisible to other lines;
 * a draft is not a label (status, mask and statistics unchanged) and saving the mask deletes it. Also the event
 * view's normalized score (score ÷ threshold) beside the raw one.
 */
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
let qa2: Session;
let visible: string;
let hidden: string;

before(async () => {
  const t = await testApp();
  app = t.app;
  admin = await login(app, 'admin', t.adminPassword);
  qa = await userSession(app, admin, 'qa1', 'qa', ['line-1']);
  qa2 = await userSession(app, admin, 'qa2', 'qa', ['line-1']);
  const { jpeg, map } = await images();
  const frameRef = await app.ctx.files.put(jpeg);
  const mapRef = await app.ctx.files.put(map);
  [visible, hidden] = [randomUUID(), randomUUID()];
  for (const [i, [id, line]] of [
    [visible, 'line-1'],
    [hidden, 'line-2'],
  ].entries()) {
    await app.ctx.store.events.insertOnce({
      id: id!,
      deviceId: 'dev-1',
      sequence: i,
      line: line!,
      camera: 'cam-1',
      ts: new Date(Date.UTC(2026, 11, 3, 8, 0, i)),
      receivedAt: new Date(),
      modelVersion: 'm1',
      score: 18.99,
      threshold: 9.8,
      frameRef,
      mapRef,
      frameWidth: FRAME_W,
      frameHeight: FRAME_H,
    });
  }
});
after(async () => {
  await app.close();
});

const draftPng = (x0: number) =>
  Buffer.from(
    grayPng(
      FRAME_W,
      FRAME_H,
      new Uint8Array(FRAME_W * FRAME_H).map((_, i) => (i % FRAME_W >= x0 ? 255 : 0)),
    ),
  );
const put = (id: string, s: Session, body: Buffer, type = 'image/png') =>
  app.inject({
    method: 'PUT',
    url: `/api/events/${id}/draft`,
    headers: { ...s.headers, 'content-type': type },
    payload: body,
  });
const get = (url: string, s: Session) => app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });

test('a draft is kept per event and user, restored byte for byte, and is not a label', async () => {
  const stats = (await get('/api/stats/labels', qa)).json();
  assert.equal((await get(`/api/events/${visible}/draft`, qa)).json().code, 'LW_CTRL_NOT_FOUND');
  assert.equal((await get(`/api/events/${visible}`, qa)).json().hasDraft, false);

  assert.equal((await put(visible, qa, draftPng(10))).statusCode, 204);
  assert.equal((await put(visible, qa, draftPng(20))).statusCode, 204); // replaces
  assert.equal((await put(visible, qa2, draftPng(5))).statusCode, 204);
  const back = await get(`/api/events/${visible}/draft`, qa);
  assert.equal(back.statusCode, 200);
  assert.equal(back.headers['content-type'], 'image/png');
  assert.match(String(back.headers['cache-control']), /no-store/);
  assert.deepEqual(back.rawPayload, draftPng(20));
  assert.deepEqual((await get(`/api/events/${visible}/draft`, qa2)).rawPayload, draftPng(5));

  const view = (await get(`/api/events/${visible}`, qa)).json();
  assert.equal(view.hasDraft, true);
  assert.equal(view.labelStatus, 'pending');
  assert.equal(view.hasMask, false);
  assert.deepEqual((await get('/api/stats/labels', qa)).json(), stats);
  const queue = (await get('/api/events', qa)).json().events;
  assert.equal(queue[0].labelStatus, 'pending');
  assert.equal('hasDraft' in queue[0], false, 'the queue does not look up drafts');
});

test('saving the mask deletes only that user’s draft; DELETE discards', async () => {
  await put(visible, qa, draftPng(20));
  await put(visible, qa2, draftPng(5));
  const saved = await app.inject({
    method: 'PUT',
    url: `/api/events/${visible}/mask`,
    headers: { ...qa.headers, 'content-type': 'image/png' },
    payload: draftPng(20),
  });
  assert.equal(saved.statusCode, 200, saved.body);
  assert.equal((await get(`/api/events/${visible}/draft`, qa)).statusCode, 404);
  assert.equal((await get(`/api/events/${visible}`, qa)).json().hasDraft, false);
  assert.equal((await get(`/api/events/${visible}/draft`, qa2)).statusCode, 200);
  const del = () => app.inject({ method: 'DELETE', url: `/api/events/${visible}/draft`, headers: qa2.headers });
  assert.equal((await del()).statusCode, 204);
  assert.equal((await del()).statusCode, 204, 'idempotent');
  assert.equal((await get(`/api/events/${visible}/draft`, qa2)).statusCode, 404);
});

test('drafts are checked like masks and hidden like their events', async () => {
  const wrongSize = Buffer.from(grayPng(FRAME_W + 1, FRAME_H, new Uint8Array((FRAME_W + 1) * FRAME_H)));
  assert.equal((await put(visible, qa, wrongSize)).json().code, 'LW_CTRL_MASK_SIZE_MISMATCH');
  assert.equal((await put(visible, qa, Buffer.from('not a png at all'))).json().code, 'LW_CTRL_MASK_INVALID');
  assert.equal((await put(visible, qa, draftPng(3), 'application/octet-stream')).statusCode, 415);
  assert.equal((await put(hidden, qa, draftPng(3))).json().code, 'LW_CTRL_NOT_FOUND');
  assert.equal((await get(`/api/events/${hidden}/draft`, qa)).json().code, 'LW_CTRL_NOT_FOUND');
  const noCsrf = await app.inject({
    method: 'PUT',
    url: `/api/events/${visible}/draft`,
    headers: { cookie: qa.cookie, 'content-type': 'image/png' },
    payload: draftPng(3),
  });
  assert.equal(noCsrf.statusCode, 403);
  const anon = await app.inject({ method: 'GET', url: `/api/events/${visible}/draft` });
  assert.equal(anon.statusCode, 401);
});

test('the event view carries score ÷ threshold beside the raw score', async () => {
  const view = (await get(`/api/events/${visible}`, qa)).json();
  assert.equal(view.score, 18.99);
  assert.equal(view.threshold, 9.8);
  assert.ok(Math.abs(view.normalizedScore - 18.99 / 9.8) < 1e-9);
  const listed = (await get('/api/events', qa)).json().events[0];
  assert.equal(listed.normalizedScore, view.normalizedScore);
});
