import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { DefectClassView, EventView, LineLabelStats } from '@linewatch/protocol/http';
import { decodeIndexedPng, encodeIndexedPng } from '@linewatch/vision';
import type { App } from '../src/app.js';
import { login, testApp, userSession, type Session } from './helpers/http.js';
import { FRAME_H, FRAME_W, images } from './helpers/messages.js';
import { grayPng } from './helpers/png.js';

let app: App;
let admin: Session;
let qa: Session;
const ids: string[] = [];

before(async () => {
  const t = await testApp();
  app = t.app;
  admin = await login(app, 'admin', t.adminPassword);
  qa = await userSession(app, admin, 'qa-classes', 'qa', ['line-1']);
  const { jpeg, map } = await images();
  const [frameRef, mapRef] = [await app.ctx.files.put(jpeg), await app.ctx.files.put(map)];
  for (const [i, line] of ['line-1', 'line-1', 'line-1', 'line-2'].entries()) {
    const id = randomUUID();
    ids.push(id);
    await app.ctx.store.events.insertOnce({
      ...{ id, deviceId: `dev-${line}`, sequence: i, line, camera: 'cam-1', modelVersion: 'm1', score: 0.9 },
      ...{ ts: new Date(Date.UTC(2026, 11, 3, 8, 0, i)), receivedAt: new Date(), threshold: 0.5, frameRef, mapRef },
      ...{ frameWidth: FRAME_W, frameHeight: FRAME_H },
    });
  }
});
after(() => app.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, s: Session, payload?: unknown) =>
  app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });
const createClass = async (body: object): Promise<DefectClassView> => {
  const res = await call('POST', '/api/classes', admin, body);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
};
const putMask = (id: string, png: Uint8Array, s: Session = qa) =>
  app.inject({
    method: 'PUT',
    url: `/api/events/${id}/mask`,
    headers: { ...s.headers, 'content-type': 'image/png' },
    payload: Buffer.from(png),
  });
const queue = async (query: string, s: Session = qa): Promise<string[]> => {
  const res = await call('GET', `/api/events?${query}`, s);
  assert.equal(res.statusCode, 200, res.body);
  return (res.json().events as EventView[]).map((e) => e.id).sort();
};
/** A frame-sized indexed mask: the left third painted with `left`, the right third with `right`. */
function indexedMask(left: number, right: number): Buffer {
  const data = new Uint8Array(FRAME_W * FRAME_H);
  for (let i = 0; i < data.length; i++) {
    const x = i % FRAME_W;
    data[i] = x < FRAME_W / 3 ? left : x >= (2 * FRAME_W) / 3 ? right : 0;
  }
  const palette = Array.from({ length: 256 }, (_, k): [number, number, number] => [k, 255 - k, 0]);
  return encodeIndexedPng({ width: FRAME_W, height: FRAME_H, data, palette });
}

test('classes: admins create, edit and delete a line taxonomy; QA reads only its lines and cannot write', async () => {
  const scratch = await createClass({ line: 'line-1', name: 'scratch', color: '#00AA00', key: '1' });
  assert.deepEqual([scratch.paletteIndex, scratch.color, scratch.key], [1, '#00aa00', '1']);
  await createClass({ line: 'line-2', name: 'scratch', color: '#00aa00', key: '1' });
  const taken = await call('POST', '/api/classes', admin, { line: 'line-1', name: 'scratch', color: '#1234f6' });
  assert.deepEqual([taken.statusCode, taken.json().code], [409, 'LW_CTRL_CLASS_TAKEN']);
  for (const bad of [
    { line: 'line-1', name: 'x', color: '#ff0000' },
    { line: 'line-1', name: 'x', color: '#808080' },
    { line: 'line-1', name: 'x', color: '#204010' },
    { line: 'line-1', name: 'x', color: 'green' },
    { line: 'line-1', name: 'x', color: '#1234f6', key: 'c' },
    { line: 'line-1', name: '', color: '#1234f6' },
  ]) {
    const res = await call('POST', '/api/classes', admin, bad);
    assert.deepEqual([res.statusCode, res.json().code], [400, 'LW_CTRL_VALIDATION'], JSON.stringify(bad));
  }
  const denied = await call('POST', '/api/classes', qa, { line: 'line-1', name: 'x', color: '#1234f6' });
  assert.equal(denied.statusCode, 403);
  const tmp = await createClass({ line: 'line-1', name: 'tmp', color: '#abcdef' });
  const renamed = await call('PATCH', `/api/classes/${tmp.id}`, admin, { name: 'temporary', key: '9' });
  assert.deepEqual([renamed.json().name, renamed.json().key, renamed.json().paletteIndex], ['temporary', '9', 2]);
  assert.equal((await call('PATCH', `/api/classes/${tmp.id}`, admin, { key: '1' })).json().code, 'LW_CTRL_CLASS_TAKEN');
  assert.equal((await call('PATCH', `/api/classes/${tmp.id}`, qa, { key: '8' })).statusCode, 403);
  assert.equal((await call('DELETE', `/api/classes/${tmp.id}`, admin)).statusCode, 204);
  assert.equal((await call('DELETE', `/api/classes/${tmp.id}`, admin)).statusCode, 404);
  const mine = (await call('GET', '/api/classes', qa)).json().classes as DefectClassView[];
  assert.deepEqual(
    mine.map((c) => [c.line, c.name]),
    [['line-1', 'scratch']],
  );
  assert.deepEqual((await call('GET', '/api/classes?line=line-2', qa)).json().classes, []);
  assert.equal((await call('GET', '/api/classes?line=line-2', admin)).json().classes.length, 1);
});

test('classes: confirm names a class, masks paint classes, the queue filters and the stats break down by class', async () => {
  const all = (await call('GET', '/api/classes?line=line-1', admin)).json().classes as DefectClassView[];
  const scratch = all.find((c) => c.name === 'scratch')!;
  const dent = await createClass({ line: 'line-1', name: 'dent', color: '#3050ff', key: '2' });
  const otherLine = (await call('GET', '/api/classes?line=line-2', admin)).json().classes[0] as DefectClassView;
  const [a, b, c, d] = ids as [string, string, string, string];

  const confirmed = await call('POST', `/api/events/${a}/confirm`, qa, { defectClassId: scratch.id });
  assert.equal(confirmed.statusCode, 200, confirmed.body);
  assert.equal((confirmed.json() as EventView).defectClassId, scratch.id);
  const wrongLine = await call('POST', `/api/events/${c}/confirm`, qa, { defectClassId: otherLine.id });
  assert.deepEqual([wrongLine.statusCode, wrongLine.json().code], [400, 'LW_CTRL_CLASS_UNKNOWN']);
  const plain = await app.inject({ method: 'POST', url: `/api/events/${c}/confirm`, headers: qa.headers });
  assert.equal(plain.json().defectClassId, null, 'a confirmation without a body stays unclassified');

  // Mask on b: dent on the left, an unclassified stroke (255) on the right; the class is read from the palette index.
  const saved = await putMask(b, indexedMask(dent.paletteIndex, 255));
  assert.equal(saved.statusCode, 200, saved.body);
  const stored = await call('GET', `/api/events/${b}/mask`, qa);
  assert.deepEqual(new Set(decodeIndexedPng(stored.rawPayload).data), new Set([0, dent.paletteIndex, 255]));
  const unknown = await putMask(b, indexedMask(77, 0));
  assert.deepEqual([unknown.statusCode, unknown.json().code], [422, 'LW_CTRL_MASK_CLASS_UNKNOWN']);
  // A binary (grey) mask still works and paints no class.
  const grey = await putMask(d, grayPng(FRAME_W, FRAME_H, new Uint8Array(FRAME_W * FRAME_H).fill(255)), admin);
  assert.equal(grey.statusCode, 200, grey.body);

  assert.deepEqual(await queue(`defectClass=${scratch.id}`), [a]);
  assert.deepEqual(await queue(`defectClass=${dent.id}`), [b]);
  assert.deepEqual(await queue('defectClass=none'), [c]);
  assert.deepEqual(await queue('defectClass=none', admin), [c, d].sort());

  const lines = (await call('GET', '/api/stats/labels', qa)).json().lines as LineLabelStats[];
  assert.equal(lines.length, 1);
  const byName = new Map(lines[0]!.classes.map((s) => [s.name, s]));
  assert.deepEqual([lines[0]!.confirmed, lines[0]!.unclassified], [3, 2]);
  assert.deepEqual(
    [byName.get('scratch')?.confirmations, byName.get('scratch')?.masks, byName.get('dent')?.masks],
    [1, 0, 1],
  );

  const inUse = await call('DELETE', `/api/classes/${dent.id}`, admin);
  assert.deepEqual([inUse.statusCode, inUse.json().code], [409, 'LW_CTRL_CLASS_IN_USE']);
  const rejected = await call('POST', `/api/events/${a}/reject`, qa, { defectClassId: scratch.id });
  assert.equal(rejected.json().defectClassId, null, 'a rejection clears the class');
});
