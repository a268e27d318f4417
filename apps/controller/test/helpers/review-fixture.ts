/**
 * The review page's browser fixture: an app with a QA user on line-1 and three events on one camera (oldest first),
 * a textured frame and an anomaly map whose hot right part has two levels (x ≥ ¾W: 230, ½W ≤ x < ¾W: 140, else 10),
 * so seeding at 50 % and at 70 % of the map's scale gives different masks. Signed in, at 1400×900.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { decodeMask, encodeJpeg } from '@linewatch/vision';
import type { App } from '../../src/app.js';
import { launch, signIn, until } from './browser.js';
import { login, testApp, userSession } from './http.js';
import { grayPng } from './png.js';

export const W = 160;
export const H = 120;

export function mapValue(x: number): number {
  return x >= (3 * W) / 4 ? 230 : x >= W / 2 ? 140 : 10;
}

export interface ReviewFixture {
  app: App;
  browser: Browser;
  page: Page;
  base: string;
  /** oldest first */
  ids: string[];
  qaId: string;
  errors: string[];
  close(): Promise<void>;
}

export async function reviewFixture(): Promise<ReviewFixture> {
  const { app, adminPassword } = await testApp();
  const browser = await launch().catch(async (e: unknown) => {
    await app.close();
    throw e;
  });
  const close = async () => {
    await browser.close();
    await app.close();
  };
  try {
    const admin = await login(app, 'admin', adminPassword);
    await userSession(app, admin, 'qa1', 'qa', ['line-1']);
    const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 13) % 251);
    const frameRef = await app.ctx.files.put(await encodeJpeg({ width: W, height: H, channels: 3, data: rgb }));
    const mapRef = await app.ctx.files.put(
      grayPng(
        W,
        H,
        new Uint8Array(W * H).map((_, i) => mapValue(i % W)),
      ),
    );
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, id] of ids.entries()) {
      await app.ctx.store.events.insertOnce({
        id,
        deviceId: 'dev-1',
        sequence: i,
        line: 'line-1',
        camera: 'cam-1',
        ts: new Date(Date.UTC(2026, 11, 3, 9, 0, i)),
        modelVersion: 'm1',
        score: 18.99,
        threshold: 9.8,
        frameRef,
        mapRef,
        frameWidth: W,
        frameHeight: H,
        receivedAt: new Date(),
      });
    }
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: 1400, height: 900 });
    await signIn(page, base, 'qa1', 'pw-qa1-0123456789');
    await page.waitForSelector('tr.row'); // the queue stores its order for j/k
    const qaId = (await app.ctx.store.users.findByName('qa1'))!.id;
    return { app, browser, page, base, ids, qaId, errors, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Opens an event by its hash route and waits until its shortcuts work. */
export async function openEvent(page: Page, id: string): Promise<void> {
  await page.evaluate(`location.hash = '#/event/${id}'`);
  await until(page, `document.querySelector('.event[data-ready]')?.dataset.id === '${id}'`);
}

/** A vertical stroke at x = fx of the mask's width, from 30 % to 70 % of its height. */
export async function paintStroke(page: Page, fx: number): Promise<void> {
  const box = (await page.locator('#mask').boundingBox())!;
  await page.mouse.move(box.x + box.width * fx, box.y + box.height * 0.3);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * fx, box.y + box.height * 0.7, { steps: 5 });
  await page.mouse.up();
}

/** Alpha of the mask layer's pixel at (fx, fy) of its size: > 0 where painted. */
export function maskAlpha(page: Page, fx: number, fy: number): Promise<number> {
  return page.evaluate<number>(`(() => { const c = document.querySelector('#mask');
    return c.getContext('2d').getImageData(Math.round(c.width * ${fx}), Math.round(c.height * ${fy}), 1, 1).data[3];
  })()`);
}

/** A stored PNG (mask or draft) as a bit lookup at fractions of the frame. */
export async function bitsOf(png: Uint8Array): Promise<(fx: number, fy: number) => number> {
  const bits = await decodeMask(png, { expectedSize: { width: W, height: H } });
  return (fx, fy) => bits.data[Math.round(H * fy) * W + Math.round(W * fx)]!;
}
