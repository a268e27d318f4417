// Labels page: export a line's labels (time range, classes, newest sampled normals) as an MVTec-layout zip or COCO
// JSON — a plain download, the browser streams it to disk — and, for admins, import an MVTec-layout zip (upload) or a
// folder below the controller's import root as labelled data of a line. The import is all or nothing; a refusal
// shows its code (layout, orphan mask, unsafe path, too large).
import { api, find, toast, errorParts } from './api.js';
/** @import { LabelImportResult, LineLabelStats, UserView } from '@linewatch/protocol/http' */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const LINE = 'pattern="[a-z0-9][a-z0-9_\\-]{0,62}" required';

const EXPORT_FORM = `<form id="labels-export" class="inline-form"><strong>Export</strong>
    <label>Line <input name="line" list="labels-lines" ${LINE}></label>
    <label>From <input name="from" type="datetime-local"></label>
    <label>To <input name="to" type="datetime-local"></label>
    <label>Classes <input name="classes" placeholder="all; anomalous = unclassified"></label>
    <label>Newest sampled normals <input name="maxNormals" type="number" min="0" placeholder="all"></label>
    <label>Format <select name="format"><option value="mvtec">MVTec zip (with coco.json)</option>
      <option value="coco">COCO JSON</option></select></label>
    <button type="submit">Export</button></form>`;

const IMPORT_FORMS = `<form id="labels-import" class="inline-form"><strong>Import zip</strong>
    <label>Into line <input name="line" list="labels-lines" ${LINE}></label>
    <label>Camera <input name="camera" placeholder="import"></label>
    <label>MVTec-layout zip <input name="file" type="file" accept=".zip,application/zip" required></label>
    <button type="submit">Import</button></form>
  <form id="labels-import-folder" class="inline-form"><strong>Import folder</strong>
    <label>Into line <input name="line" list="labels-lines" ${LINE}></label>
    <label>Folder below the import root <input name="path" required placeholder="plant/bottle"></label>
    <button type="submit">Import</button></form>
  <pre id="labels-result" class="hint"></pre>`;

/** @param {FormData} f @param {string} name */
const text = (f, name) => String(f.get(name) ?? '').trim();

/** @param {FormData} f @returns {string} the export URL for the form's choices */
export function exportUrl(f) {
  const q = new URLSearchParams({ format: text(f, 'format') || 'mvtec' });
  for (const name of ['from', 'to']) {
    const v = text(f, name);
    if (v) q.set(name, new Date(v).toISOString());
  }
  for (const name of ['classes', 'maxNormals']) if (text(f, name)) q.set(name, text(f, name));
  return `/api/lines/${encodeURIComponent(text(f, 'line'))}/labels/export?${q}`;
}

/** @param {LabelImportResult} r */
const summary = (r) =>
  `${r.line} (${r.batch}): ${r.normals} normal, ${r.anomalies} anomalous (${r.masks} with masks); classes ` +
  `${Object.entries(r.classes)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ')}${r.createdClasses.length ? `; new classes: ${r.createdClasses.join(', ')}` : ''}` +
  `${r.skippedCount ? `; skipped ${r.skippedCount}: ${r.skipped.join(', ')}` : ''}`;

/** @param {HTMLElement} view @param {() => Promise<LabelImportResult>} run */
async function showImport(view, run) {
  const out = find(view, '#labels-result', HTMLElement);
  out.textContent = 'Importing…';
  try {
    const r = await run();
    out.textContent = summary(r);
    toast(`Imported ${r.normals + r.anomalies} images into ${r.line}`);
  } catch (e) {
    const { code, message } = errorParts(e);
    out.textContent = `${code ?? 'error'}: ${message} — nothing was imported`;
    toast(message, true);
  }
}

/** @param {HTMLElement} view */
function wireImports(view) {
  const zipForm = find(view, '#labels-import', HTMLFormElement);
  zipForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(zipForm);
    const file = f.get('file');
    if (!(file instanceof File)) return;
    const camera = text(f, 'camera');
    const url = `/api/lines/${encodeURIComponent(text(f, 'line'))}/labels/import${camera ? `?camera=${encodeURIComponent(camera)}` : ''}`;
    void showImport(view, () => api('POST', url, file, 'application/zip'));
  });
  const folderForm = find(view, '#labels-import-folder', HTMLFormElement);
  folderForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(folderForm);
    const url = `/api/lines/${encodeURIComponent(text(f, 'line'))}/labels/import-folder`;
    void showImport(view, () => api('POST', url, { path: text(f, 'path') }));
  });
}

/**
 * @param {HTMLElement} view
 * @param {UserView | null} me
 */
export async function renderLabels(view, me) {
  /** @type {{ lines: LineLabelStats[] }} */
  const stats = await api('GET', '/api/stats/labels');
  const options = stats.lines.map((l) => `<option value="${esc(l.line)}">`).join('');
  const admin = me?.role === 'admin';
  view.innerHTML = `<h2>Labels</h2><datalist id="labels-lines">${options}</datalist>${EXPORT_FORM}
    ${admin ? IMPORT_FORMS : '<p class="hint">Importing labelled data is for admins.</p>'}`;
  const exportForm = find(view, '#labels-export', HTMLFormElement);
  exportForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    // A plain download: the browser writes the streamed archive to disk instead of holding it in a Blob.
    const a = document.createElement('a');
    a.href = exportUrl(new FormData(exportForm));
    a.download = '';
    a.click();
  });
  if (admin) wireImports(view);
}
