/**
 * The review page in headless Chromium (issue #20): no lost work (paint, leave with each of j/k/n/p/Esc, come back:
 * the strokes are there; nothing is a label until saved; `c` saves the strokes as the mask), faster masks (seed from
 * the heatmap at two thresholds, polygon and lasso fill, alt+wheel brush size beside plain-wheel zoom, score ÷
 * threshold with the raw value on hover), and the layout (neighbours above the fold at 1400×900, heatmap toggle,
 * raw frame beside the map). Assertions are made against the store and the canvas pixels, not just the page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noChromium, screenshot, until } from './helpers/browser.js';
import { bitsOf, maskAlpha, openEvent, paintStroke, reviewFixture } from './helpers/review-fixture.js';

const TIMEOUT = 120_000;

test(
  'unsaved strokes survive j/k/n/p/Esc, are not a label, and c saves them as the mask',
  { skip: noChromium, timeout: TIMEOUT },
  async () => {
    const f = await reviewFixture();
    try {
      const { app, page, ids, qaId } = f;
      const [older, middle, newer] = ids as [string, string, string];
      const stats = await app.ctx.store.events.labelStats();
      // The queue is newest first: from the middle event, j/n go to the older one, k/p to the newer one.
      const leaves: Array<[string, string, number]> = [
        ['j', `#/event/${older}`, 0.1],
        ['k', `#/event/${newer}`, 0.25],
        ['n', `#/event/${older}`, 0.4],
        ['p', `#/event/${newer}`, 0.55],
        ['Escape', '#/queue', 0.7],
      ];
      for (const [i, [key, to, fx]] of leaves.entries()) {
        await openEvent(page, middle);
        await paintStroke(page, fx);
        await page.keyboard.press(key); // at once: leaving must wait for the draft itself, not the debounce
        await until(page, `location.hash === '${to}'`);
        const draft = await app.ctx.store.drafts.get(middle, qaId);
        assert.ok(draft, `a draft is stored before leaving with ${key}`);
        const at = await bitsOf(draft.png);
        for (const [, , earlier] of leaves.slice(0, i + 1)) assert.equal(at(earlier, 0.5), 1, `stroke at ${earlier}`);
        assert.equal(at(0.85, 0.5), 0, 'nothing unpainted is set');
      }
      // Not a label: status, mask and statistics as before; the queue shows it pending.
      assert.equal((await app.ctx.store.events.get(middle))?.labelStatus, 'pending');
      assert.equal(await app.ctx.store.events.getMask(middle), null);
      assert.deepEqual(await app.ctx.store.events.labelStats(), stats);
      await page.waitForSelector(`tr.row[data-id="${middle}"]`);
      assert.match((await page.locator(`tr.row[data-id="${middle}"]`).textContent()) ?? '', /pending/);

      await openEvent(page, middle);
      assert.equal(await page.getAttribute('#draft-state', 'data-state'), 'restored');
      for (const [, , fx] of leaves) assert.ok((await maskAlpha(page, fx, 0.5)) > 0, `restored stroke at ${fx}`);
      assert.equal(await maskAlpha(page, 0.85, 0.5), 0);
      await screenshot(page, 'review-draft-restored');

      await page.keyboard.press('c');
      await until(page, `document.querySelector('#status')?.textContent === 'confirmed'`);
      const mask = await app.ctx.store.events.getMask(middle);
      assert.ok(mask, '`c` with strokes stores them as the mask');
      const at = await bitsOf(await app.ctx.files.get(mask.ref));
      for (const [, , fx] of leaves) assert.equal(at(fx, 0.5), 1, `mask has the stroke at ${fx}`);
      assert.equal(at(0.85, 0.5), 0);
      assert.equal((await app.ctx.store.events.get(middle))?.labelStatus, 'confirmed');
      await until(page, `document.querySelector('#draft-state')?.dataset.state === 'mask-saved'`);
      assert.equal(await app.ctx.store.drafts.get(middle, qaId), null, 'the draft is deleted once saved');
      // Leaving after the save writes no draft again.
      await page.keyboard.press('j');
      await until(page, `location.hash === '#/event/${older}'`);
      assert.equal(await app.ctx.store.drafts.get(middle, qaId), null);
      assert.deepEqual(f.errors, []);
    } finally {
      await f.close();
    }
  },
);

test(
  'seed from heatmap at an adjustable threshold, polygon and lasso fill, brush size on alt+wheel',
  { skip: noChromium, timeout: TIMEOUT },
  async () => {
    const f = await reviewFixture();
    try {
      const { app, page, ids } = f;
      const id = ids[2]!;
      await openEvent(page, id);
      // Score ÷ threshold (18.99 / 9.8), the raw value on hover.
      assert.equal(await page.textContent('#score'), '1.94×');
      assert.match((await page.getAttribute('#score', 'title')) ?? '', /raw score 18\.990 \/ threshold 9\.800/);

      await page.keyboard.press('f'); // seed at 50 % of the map's scale: both hot levels (140, 230 ≥ 128)
      await until(page, `document.querySelector('#draft-state')?.dataset.state !== 'none'`);
      assert.ok((await maskAlpha(page, 0.6, 0.5)) > 0);
      assert.ok((await maskAlpha(page, 0.9, 0.5)) > 0);
      assert.equal(await maskAlpha(page, 0.3, 0.5), 0);
      await screenshot(page, 'review-seed-50');
      for (let i = 0; i < 4; i++) await page.keyboard.press('.'); // 70 %: cut 179, only the hottest quarter
      assert.equal(await page.textContent('#seed-value'), '70%');
      assert.equal(await maskAlpha(page, 0.6, 0.5), 0, 're-seeded in place at the new threshold');
      assert.ok((await maskAlpha(page, 0.9, 0.5)) > 0);
      await screenshot(page, 'review-seed-70');

      await page.keyboard.press('l'); // polygon: four corners on the cold left, Enter closes and fills
      const box = (await page.locator('#mask').boundingBox())!;
      const click = (fx: number, fy: number) => page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
      // Escape cancels an open polygon; it does not leave the event.
      await click(0.5, 0.1);
      await click(0.6, 0.1);
      await click(0.6, 0.3);
      await page.keyboard.press('Escape');
      assert.equal(await page.evaluate<string>('location.hash'), `#/event/${id}`);
      await click(0.1, 0.1);
      await click(0.3, 0.1);
      await click(0.3, 0.4);
      await click(0.2, 0.45); // dropped again by Backspace
      await page.keyboard.press('Backspace');
      await click(0.1, 0.4);
      assert.equal(await maskAlpha(page, 0.2, 0.25), 0, 'nothing is filled before the polygon closes');
      await screenshot(page, 'review-polygon-open');
      await page.keyboard.press('Enter');
      assert.ok((await maskAlpha(page, 0.2, 0.25)) > 0, 'polygon filled');
      assert.equal(await maskAlpha(page, 0.4, 0.25), 0);
      assert.equal(await maskAlpha(page, 0.55, 0.15), 0, 'the cancelled polygon is not filled');
      assert.equal(await maskAlpha(page, 0.2, 0.43), 0, 'the dropped corner is not part of the shape');
      // Lasso: one drag around a triangle; releasing the button closes it.
      await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.6);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.6, { steps: 10 });
      await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.9, { steps: 10 });
      await page.mouse.up();
      assert.ok((await maskAlpha(page, 0.25, 0.7)) > 0, 'lasso filled');
      assert.equal(await maskAlpha(page, 0.12, 0.85), 0, 'outside the lasso');
      await screenshot(page, 'review-polygon-lasso');

      // Brush size: alt+wheel over the stage changes it and does not zoom; the plain wheel still zooms.
      const size = Number(await page.inputValue('#size'));
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.keyboard.down('Alt');
      await page.mouse.wheel(0, -100);
      await page.keyboard.up('Alt');
      await until(page, `Number(document.querySelector('#size').value) === ${size + 2}`);
      assert.equal(await page.getAttribute('#stage', 'data-zoom'), '1.00');
      await page.mouse.wheel(0, -100);
      await until(page, `Number(document.querySelector('#stage').dataset.zoom) > 1`);
      await page.keyboard.press('0');

      await page.keyboard.press('s');
      await until(page, `document.querySelector('#status')?.textContent === 'confirmed'`);
      const mask = await app.ctx.store.events.getMask(id);
      assert.ok(mask);
      const at = await bitsOf(await app.ctx.files.get(mask.ref));
      assert.deepEqual(
        [at(0.9, 0.5), at(0.6, 0.5), at(0.2, 0.25), at(0.4, 0.25), at(0.25, 0.7), at(0.12, 0.85)],
        [1, 0, 1, 0, 1, 0],
      );
      assert.deepEqual(f.errors, []);
    } finally {
      await f.close();
    }
  },
);

test(
  'at 1400×900 the neighbours are above the fold; h hides the heatmap, v shows the raw frame beside it; c after undoing every stroke stores no mask',
  { skip: noChromium, timeout: TIMEOUT },
  async () => {
    const f = await reviewFixture();
    try {
      const { page, ids } = f;
      await openEvent(page, ids[1]!);
      await until(page, `document.querySelectorAll('#neighbours .nb').length === 3`);
      const inView = async () => {
        for (const nb of await page.locator('#neighbours .nb').all()) {
          const b = (await nb.boundingBox())!;
          assert.ok(b.y >= 0 && b.y + b.height <= 900 && b.x >= 0 && b.x + b.width <= 1400, JSON.stringify(b));
        }
      };
      await inView();
      await screenshot(page, 'review-layout-1400x900');

      const heatShown = () =>
        page.evaluate<boolean>(`getComputedStyle(document.querySelector('#heat')).display !== 'none'`);
      assert.equal(await heatShown(), true);
      await page.keyboard.press('h');
      assert.equal(await heatShown(), false);
      await page.keyboard.press('h');
      assert.equal(await heatShown(), true);

      assert.equal(await page.isVisible('#raw'), false);
      await page.keyboard.press('v');
      assert.equal(await page.isVisible('#raw'), true);
      const stage = (await page.locator('#stage').boundingBox())!;
      const raw = (await page.locator('#raw').boundingBox())!;
      assert.ok(raw.x >= stage.x + stage.width - 1, 'raw frame to the right of the map');
      assert.ok(Math.abs(raw.y - stage.y) < 2 && Math.abs(raw.width - stage.width) < 2, 'same size, same row');
      await inView();
      await screenshot(page, 'review-raw-beside');

      // Strokes all undone are no mask: `c` confirms image-level and the draft of them goes.
      await paintStroke(page, 0.5);
      await page.keyboard.press('z');
      await until(page, `document.querySelector('#draft-state')?.dataset.state === 'saved'`);
      assert.ok(await f.app.ctx.store.drafts.get(ids[1]!, f.qaId), 'the undone state is a draft too');
      await page.keyboard.press('c');
      await until(page, `document.querySelector('#status')?.textContent === 'confirmed'`);
      assert.equal(await f.app.ctx.store.events.getMask(ids[1]!), null);
      assert.equal(await f.app.ctx.store.drafts.get(ids[1]!, f.qaId), null);
      assert.deepEqual(f.errors, []);
    } finally {
      await f.close();
    }
  },
);
