// Per-camera calibration (issue #20): cameras with their threshold revision; for one camera, a proposal for a
// target false-alarm rate (proposed threshold, expected flag rate against the current one, from the agents' score
// sketches), approval with a reason (admins: line engineers), and the revision history with one-click return.
import { api, toast, find, errorParts } from './api.js';
/**
 * @import { CalibrationCamera, CalibrationProposal, ThresholdRevisionView, UserView } from '@linewatch/protocol/http'
 */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** @param {number | null | undefined} v */
const pct = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(2)} %`);
/** @param {number} v */
const thr = (v) => Number(v.toPrecision(4)).toString();

/**
 * @param {HTMLElement} view
 * @param {UserView | null} me
 * @param {string} [selected] `<deviceId>/<camera>`
 */
export async function renderCalibration(view, me, selected) {
  /** @type {{ cameras: CalibrationCamera[] }} */
  const { cameras } = await api('GET', '/api/calibration/cameras');
  const rows = cameras
    .map((c) => {
      const key = `${c.deviceId}/${c.camera}`;
      const state = c.needsCalibration
        ? `<span class="badge warn">needs calibration${c.revision ? ` (rev ${c.revision.revision} was for ${esc(c.revision.modelVersion)})` : ''}</span>`
        : `rev ${c.revision?.revision} · ${thr(c.revision?.threshold ?? 0)}`;
      return `<tr data-key="${esc(key)}"${key === selected ? ' class="selected"' : ''}>
        <td><a href="#/calibration/${encodeURIComponent(c.deviceId)}/${encodeURIComponent(c.camera)}">${esc(key)}</a></td>
        <td>${esc(c.line)}</td><td>${esc(c.modelVersion)}</td><td>${state}</td></tr>`;
    })
    .join('');
  view.innerHTML = `<h2>Calibration</h2>
    <p class="hint">Per-camera thresholds from every frame the agents scored (score sketches), for a false-alarm rate
    you choose. Approving publishes a new threshold revision to the camera.</p>
    <table class="calibration-cameras"><thead><tr><th>Camera</th><th>Line</th><th>Model</th><th>Threshold</th></tr></thead>
    <tbody>${rows || '<tr><td colspan="4">No camera has reported score sketches yet.</td></tr>'}</tbody></table>
    <section id="calibration-camera"></section>`;
  const cam = cameras.find((c) => `${c.deviceId}/${c.camera}` === selected);
  // After an approval or a return, the whole page again: the camera list shows the new revision too.
  const refresh = () => renderCalibration(view, me, selected);
  if (cam) await renderCamera(find(view, '#calibration-camera', HTMLElement), me, cam, refresh);
}

/**
 * @param {HTMLElement} el
 * @param {UserView | null} me
 * @param {CalibrationCamera} cam
 * @param {() => Promise<void>} refresh
 */
async function renderCamera(el, me, cam, refresh) {
  const base = `/api/calibration/${encodeURIComponent(cam.deviceId)}/${encodeURIComponent(cam.camera)}`;
  const admin = me?.role === 'admin';
  el.innerHTML = `<h3>${esc(cam.deviceId)} / ${esc(cam.camera)}</h3>
    <form id="proposal-form" class="inline">
      <label>Target false-alarm rate (%) <input name="far" type="number" min="0.01" max="50" step="0.01" value="0.5"></label>
      <label>Last hours <input name="hours" type="number" min="0.01" max="720" step="any" value="24"></label>
      <button type="submit">Propose</button>
    </form>
    <div id="proposal"></div>
    <h3>History</h3><div id="revisions"></div>`;
  const form = find(el, '#proposal-form', HTMLFormElement);
  const out = find(el, '#proposal', HTMLElement);
  const history = find(el, '#revisions', HTMLElement);
  const reload = async () => renderHistory(history, base, admin, refresh);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const q = new URLSearchParams({ targetFar: String(Number(fd.get('far')) / 100), hours: String(fd.get('hours')) });
    try {
      /** @type {CalibrationProposal} */
      const p = await api('GET', `${base}/proposal?${q}`);
      renderProposal(out, base, admin, p, refresh);
    } catch (e) {
      const { code, message } = errorParts(e);
      out.innerHTML = `<p class="error">${esc(code ?? 'error')}: ${esc(message)}</p>`;
    }
  });
  await reload();
  form.requestSubmit();
}

/**
 * @param {HTMLElement} out
 * @param {string} base
 * @param {boolean} admin
 * @param {CalibrationProposal} p
 * @param {() => Promise<void>} reload
 */
function renderProposal(out, base, admin, p, reload) {
  out.innerHTML = `<table class="proposal">
      <tr><th></th><th>Threshold</th><th>Flag rate</th><th>False alarms (normal frames)</th></tr>
      <tr><td>Current</td><td>${thr(p.currentThreshold)}</td><td>${pct(p.currentFlagRate)}</td><td>${pct(p.currentFar)}</td></tr>
      <tr class="proposed"><td>Proposed</td><td id="proposed-threshold">${thr(p.proposedThreshold)}</td>
        <td id="expected-flag-rate">${pct(p.expectedFlagRate)}</td><td>${pct(p.expectedFar)} (target ${pct(p.targetFar)})</td></tr>
    </table>
    <p class="hint">Model ${esc(p.modelVersion)} · ${p.windows} windows · ${p.frames} frames, ${p.confirmedExcluded} confirmed
    defects left out · values within ±${(p.relativeError * 100).toFixed(1)} % (sketch buckets)</p>
    ${admin ? `<form id="approve-form" class="inline"><label>Reason <input name="reason" required maxlength="500"></label><button type="submit">Approve</button></form>` : ''}`;
  if (!admin) return;
  const form = find(out, '#approve-form', HTMLFormElement);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = String(new FormData(form).get('reason') ?? '');
    try {
      /** @type {ThresholdRevisionView} */
      const r = await api('POST', `${base}/thresholds`, {
        threshold: p.proposedThreshold,
        modelVersion: p.modelVersion,
        reason,
        targetFar: p.targetFar,
        expectedFlagRate: p.expectedFlagRate,
        currentFlagRate: p.currentFlagRate,
        basisFrames: p.normalFrames,
      });
      toast(`Revision ${r.revision} published`);
      await reload();
    } catch (e) {
      toast(errorParts(e).message, true);
    }
  });
}

/**
 * @param {HTMLElement} el
 * @param {string} base
 * @param {boolean} admin
 * @param {() => Promise<void>} reload
 */
async function renderHistory(el, base, admin, reload) {
  /** @type {{ revisions: ThresholdRevisionView[] }} */
  const { revisions } = await api('GET', `${base}/thresholds`);
  const rows = revisions
    .map(
      (r, i) => `<tr><td>${r.revision}${r.restoredFrom !== null ? ` (back to ${r.restoredFrom})` : ''}</td>
        <td>${thr(r.threshold)}</td><td>${esc(r.modelVersion)}</td><td>${pct(r.targetFar)}</td>
        <td>${pct(r.expectedFlagRate)} <span class="hint">was ${pct(r.currentFlagRate)}</span></td>
        <td>${esc(r.author)}</td><td>${esc(r.reason)}</td><td>${new Date(r.createdAt).toLocaleString()}</td>
        <td>${admin && i > 0 ? `<button data-restore="${r.revision}">Return to this</button>` : i === 0 ? 'in force' : ''}</td></tr>`,
    )
    .join('');
  el.innerHTML = `<table class="revisions"><thead><tr><th>Rev</th><th>Threshold</th><th>Model</th><th>Target FA</th>
    <th>Expected flag rate</th><th>Author</th><th>Reason</th><th>When</th><th></th></tr></thead>
    <tbody>${rows || '<tr><td colspan="9">No revision yet: the camera runs its configured or model threshold.</td></tr>'}</tbody></table>`;
  for (const b of el.querySelectorAll('button[data-restore]')) {
    if (!(b instanceof HTMLButtonElement)) continue;
    b.addEventListener('click', async () => {
      const reason = prompt(`Why return to revision ${b.dataset['restore']}?`);
      if (!reason) return;
      try {
        /** @type {ThresholdRevisionView} */
        const r = await api('POST', `${base}/thresholds/${b.dataset['restore']}/restore`, { reason });
        toast(`Revision ${r.revision} published (back to ${r.restoredFrom})`);
        await reload();
      } catch (e) {
        toast(errorParts(e).message, true);
      }
    });
  }
}
