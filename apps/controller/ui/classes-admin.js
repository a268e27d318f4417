// Classes page (admins edit, everyone reads): each line's defect classes — name, colour, shortcut digit. A class
// keeps its palette index (its value in the indexed-colour masks) for life; one in use cannot be deleted.
import { api, find, toast, errorParts } from './api.js';
import { loadClasses } from './classes.js';
/** @import { DefectClassView, UserView } from '@linewatch/protocol/http' */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const KEYS = ['', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
/** @param {string | null} key */
const keySelect = (key) =>
  `<select name="key">${KEYS.map((k) => `<option value="${k}"${(key ?? '') === k ? ' selected' : ''}>${k || '—'}</option>`).join('')}</select>`;

/** @param {DefectClassView} c @param {boolean} admin */
function classRow(c, admin) {
  const dis = admin ? '' : ' disabled';
  return `<tr data-class="${esc(c.id)}" data-name="${esc(c.name)}"><td>${esc(c.line)}</td><td>${c.paletteIndex}</td>
    <td><input name="name" value="${esc(c.name)}"${dis}></td><td><input name="color" type="color" value="${esc(c.color)}"${dis}></td>
    <td>${admin ? keySelect(c.key) : esc(c.key ?? '—')}</td>
    <td>${admin ? '<button type="button" data-act="save">Save</button> <button type="button" data-act="delete">Delete</button>' : ''}</td></tr>`;
}

const FORM = `<form id="class-form" class="inline-form"><strong>New class</strong>
    <label>Line <input name="line" required pattern="[a-z0-9][a-z0-9_\\-]{0,62}" placeholder="line-1"></label>
    <label>Name <input name="name" required maxlength="64"></label>
    <label>Colour <input name="color" type="color" value="#00a0ff"></label>
    <label>Key ${keySelect(null)}</label>
    <button type="submit">Create class</button></form>`;

/** @param {FormData} f @returns {{ name: string, color: string, key: string | null }} */
const fields = (f) => ({
  name: String(f.get('name') ?? ''),
  color: String(f.get('color') ?? ''),
  key: String(f.get('key') ?? '') || null,
});

/**
 * @param {HTMLElement} main
 * @param {UserView | null} me
 */
export async function renderClasses(main, me) {
  const admin = me?.role === 'admin';
  main.innerHTML = `<section id="classes-page"><h2>Defect classes</h2>
    <p class="hint">Per line: the classes reviewers pick on the event page (digit keys) and paint in masks.</p>
    ${admin ? FORM : ''}
    <table id="class-table"><thead><tr><th>Line</th><th>Index</th><th>Name</th><th>Colour</th><th>Key</th><th></th></tr></thead>
    <tbody></tbody></table></section>`;
  const body = find(main, '#class-table tbody', HTMLTableSectionElement);
  const refresh = async () => {
    const classes = await loadClasses();
    body.innerHTML = classes.map((c) => classRow(c, admin)).join('') || '<tr><td colspan="6">No classes yet.</td></tr>';
  };
  /** @param {() => Promise<unknown>} fn @param {string} done */
  const act = async (fn, done) => {
    try {
      await fn();
      toast(done);
      await refresh();
    } catch (err) {
      const { code, message } = errorParts(err);
      toast(`${code}: ${message}`, true);
    }
  };
  if (admin) {
    const form = find(main, '#class-form', HTMLFormElement);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      void act(() => api('POST', '/api/classes', { line: String(f.get('line') ?? ''), ...fields(f) }), 'Class created');
    });
    body.addEventListener('click', (ev) => {
      const btn = ev.target instanceof HTMLButtonElement ? ev.target : null;
      const tr = btn?.closest('tr');
      if (!btn || !tr?.dataset.class) return;
      const url = `/api/classes/${encodeURIComponent(tr.dataset.class)}`;
      const f = new FormData();
      for (const el of tr.querySelectorAll('input, select'))
        if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement) f.set(el.name, el.value);
      if (btn.dataset.act === 'save') void act(() => api('PATCH', url, fields(f)), 'Class saved');
      if (btn.dataset.act === 'delete') void act(() => api('DELETE', url), 'Class deleted');
    });
  }
  await refresh();
}
