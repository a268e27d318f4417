// Neighbours in time: the events just before and after this one on the same device and camera (oldest → newest),
// as thumbnails with score (÷ threshold; raw on hover) and label, so a QA reviewer sees whether a defect persists
// across frames.
import { api } from './api.js';
import { ratioText, rawTitle } from './score.js';
/** @import { EventQueue, EventView } from '@linewatch/protocol/http' */

const AROUND = 3;
/** @param {unknown} s */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * @param {HTMLElement} el
 * @param {EventView} e
 */
export async function renderNeighbours(el, e) {
  const q = new URLSearchParams({ deviceId: e.deviceId, camera: e.camera, limit: '200' });
  /** @type {EventQueue} */
  const { events } = await api('GET', `/api/events?${q}`); // newest first
  const i = events.findIndex((x) => x.id === e.id);
  if (i < 0) return;
  const around = events.slice(Math.max(0, i - AROUND), i + AROUND + 1).reverse();
  el.innerHTML = around
    .map((n) => {
      const id = encodeURIComponent(n.id);
      return `<a href="#/event/${id}" class="nb${n.id === e.id ? ' current' : ''}" data-id="${esc(n.id)}"
        title="${esc(new Date(n.ts).toLocaleString())}"><img src="/api/events/${id}/frame" alt="">
        <span>${esc(new Date(n.ts).toLocaleTimeString())} · <span title="${esc(rawTitle(n))}">${ratioText(n)}</span></span>
        <span class="status-${n.labelStatus}">${n.labelStatus}</span></a>`;
    })
    .join('');
}
