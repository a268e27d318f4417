// Review queue: filters in the URL hash (shareable), newest first, "Load more" via the API's opaque cursor.
// The ids shown are remembered so the event view can step to the next/previous one with the keyboard.
import { api, byId, find } from './api.js';
import { loadClasses } from './classes.js';
/** @import { DefectClassView, EventQueue, LineLabelStats } from '@linewatch/protocol/http' */

const FILTERS = ['line', 'camera', 'modelVersion', 'minScore', 'maxScore', 'status', 'defectClass'];
/** Filters with their own control (a select), not a text field. */
const SELECTS = ['status', 'defectClass'];
/** @param {unknown} s */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The label statistics table, the filter form (filled from `params`) and the event table, empty.
 * @param {URLSearchParams} params
 */
function queueMarkup(params) {
  return `<table class="stats" id="stats"><thead><tr><th>Line</th><th>Pending</th><th>Confirmed</th>
      <th>Rejected</th><th>Reviewed</th><th>By class (confirmed / masks)</th></tr></thead><tbody></tbody></table>
    <form class="filters" id="filters">
      ${FILTERS.filter((f) => !SELECTS.includes(f))
        .map((f) => `<label>${f}<input name="${f}" value="${esc(params.get(f) ?? '')}" size="10"></label>`)
        .join('')}
      <label>status<select name="status">${['', 'pending', 'confirmed', 'rejected']
        .map((s) => `<option ${params.get('status') === s ? 'selected' : ''}>${s}</option>`)
        .join('')}</select></label>
      <label>class<select name="defectClass" id="class-filter"><option value=""></option>
        <option value="none" ${params.get('defectClass') === 'none' ? 'selected' : ''}>unclassified</option></select></label>
      <button type="submit">Filter</button></form>
    <table><thead><tr><th>Time</th><th>Line</th><th>Device</th><th>Camera</th><th>Model</th><th>Score</th><th>Status</th></tr></thead>
    <tbody id="rows"></tbody></table><p><button id="more" type="button" hidden>Load more</button></p>
    <p><kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> open</p>`;
}

/** @param {string} id */
function open(id) {
  location.hash = `#/event/${encodeURIComponent(id)}`;
}

/**
 * The page loader: each call appends the next page of events matching `params` (newest first) to `rows`, remembers
 * the ids shown so far (sessionStorage, for the event view's j/k) and shows "Load more" while there is a next page.
 * @param {HTMLElement} rows
 * @param {HTMLButtonElement} more
 * @param {URLSearchParams} params
 * @param {Promise<DefectClassView[]>} classes to name each confirmation's class
 * @returns {() => Promise<void>}
 */
function pager(rows, more, params, classes) {
  /** @type {string[]} */
  const ids = [];
  /** @type {string | null} */
  let cursor = null;
  return async function load() {
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      const v = params.get(f);
      if (v) q.set(f, v);
    }
    q.set('limit', '50');
    if (cursor) q.set('cursor', cursor);
    /** @type {EventQueue} */
    const page = await api('GET', `/api/events?${q}`);
    const classById = new Map((await classes).map((c) => [c.id, c]));
    for (const e of page.events) {
      ids.push(e.id);
      const tr = document.createElement('tr');
      tr.className = 'row';
      tr.tabIndex = 0;
      tr.dataset.id = e.id;
      tr.innerHTML = `<td>${esc(new Date(e.ts).toLocaleString())}</td><td>${esc(e.line)}</td><td>${esc(e.deviceId)}</td>
        <td>${esc(e.camera)}</td><td>${esc(e.modelVersion)}</td><td>${e.score.toFixed(3)}</td>
        <td class="status-${e.labelStatus}">${e.labelStatus}${e.hasMask ? ' ✎' : ''}${classTag(classById, e.defectClassId)}</td>`;
      tr.addEventListener('click', () => open(e.id));
      rows.append(tr);
    }
    sessionStorage.setItem('lw-queue', JSON.stringify(ids));
    cursor = page.nextCursor;
    more.hidden = !cursor;
    if (ids.length === 0) rows.innerHTML = '<tr><td colspan="7">No events match.</td></tr>';
  };
}

/** Label statistics per visible line: pending, confirmed, rejected and the share reviewed. */
async function loadStats() {
  /** @type {{ lines: LineLabelStats[] }} */
  const { lines } = await api('GET', '/api/stats/labels');
  find(document, '#stats tbody', HTMLTableSectionElement).innerHTML =
    lines
      .map((l) => {
        const total = l.pending + l.confirmed + l.rejected;
        const done = total ? Math.round((100 * (l.confirmed + l.rejected)) / total) : 0;
        const byClass = l.classes
          .map(
            (c) =>
              `<span class="swatch" style="background:${esc(c.color)}"></span>${esc(c.name)} ${c.confirmations} / ${c.masks}`,
          )
          .concat(l.unclassified ? [`unclassified ${l.unclassified}`] : [])
          .join(' · ');
        return `<tr data-line="${esc(l.line)}"><td>${esc(l.line)}</td><td>${l.pending}</td><td>${l.confirmed}</td>
        <td>${l.rejected}</td><td>${done} %</td><td class="by-class">${byClass}</td></tr>`;
      })
      .join('') || '<tr><td colspan="6">No events yet.</td></tr>';
}

/**
 * The confirmation's class beside the status: a swatch and the name.
 * @param {Map<string, DefectClassView>} byId
 * @param {string | null} id
 */
function classTag(byId, id) {
  const c = id ? byId.get(id) : undefined;
  return c ? ` <span class="swatch" style="background:${esc(c.color)}"></span>${esc(c.name)}` : '';
}

/**
 * The class filter's options: every class of the visible lines (named with its line when several lines have classes).
 * @param {URLSearchParams} params
 * @param {Promise<DefectClassView[]>} loaded
 */
async function fillClassFilter(params, loaded) {
  const classes = await loaded;
  const lines = new Set(classes.map((c) => c.line));
  const select = byId('class-filter', HTMLSelectElement);
  for (const c of classes) {
    const o = new Option(lines.size > 1 ? `${c.line}: ${c.name}` : c.name, c.id);
    o.selected = params.get('defectClass') === c.id;
    select.add(o);
  }
}

/**
 * @param {HTMLElement} main
 * @param {URLSearchParams} params the filters (from the hash)
 */
export async function renderQueue(main, params) {
  main.innerHTML = queueMarkup(params);
  const filters = byId('filters', HTMLFormElement);
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(filters)) if (v !== '') q.set(k, String(v));
    location.hash = `#/queue?${q}`;
  });
  const rows = byId('rows', HTMLElement);
  const more = byId('more', HTMLButtonElement);
  /** @type {Promise<DefectClassView[]>} */
  const classes = loadClasses().catch(() => []);
  const load = pager(rows, more, params, classes);
  more.addEventListener('click', load);
  rows.addEventListener('keydown', (ev) => {
    const tr = ev.target instanceof Element ? ev.target.closest('tr.row') : null;
    if (!(tr instanceof HTMLTableRowElement)) return;
    if (ev.key === 'Enter' && tr.dataset.id) open(tr.dataset.id);
    // Rows are only ever <tr>s (HTMLElements), so a sibling that is not one is absent.
    const next = ev.key === 'j' ? tr.nextElementSibling : ev.key === 'k' ? tr.previousElementSibling : null;
    if (next instanceof HTMLElement) next.focus();
  });
  await Promise.all([load(), loadStats(), fillClassFilter(params, classes)]);
  const first = rows.querySelector('tr.row');
  if (first instanceof HTMLElement) first.focus();
}
