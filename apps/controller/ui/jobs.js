// Training jobs: per line what a snapshot would hold (px = confirmed with mask, img = confirmed without, and the
// normals by origin: rejected false alarms and sampled normal frames, never one counted as the other), new masks against the auto-trigger threshold, the live model, and a "Train now" button
// (admins); below, the jobs with live progress from the worker's heartbeats. Polls while shown.
import { api, toast, find, errorParts } from './api.js';
/**
 * @import { DatasetCounts, DatasetSplitCounts, JobProgress, JobView } from '@linewatch/protocol/http'
 * @import { TrainingLineView, UserView, WorkerHeldOutMetrics } from '@linewatch/protocol/http'
 */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const JOBS_MS = 2000;
const LINES_MS = 5000;
const OPEN = new Set(['queued', 'claimed', 'running']);
/** @type {ReturnType<typeof setInterval>[]} */
let timers = [];

/** @param {number | null | undefined} v @param {number} [digits] */
const num = (v, digits = 3) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));
/** @param {string | null} iso */
const ago = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/** @param {JobProgress | null} p @returns {number | null} 0..1, null when the worker cannot tell */
function fraction(p) {
  if (!p) return null;
  if (typeof p.fraction === 'number') return p.fraction;
  if (p.phase === 'train' && p.epochs) return Math.min(1, (p.epoch ?? 0) / p.epochs);
  return null;
}

/** @param {JobView} j */
function progressCell(j) {
  if (j.status === 'succeeded') return '<progress max="1" value="1"></progress> done';
  const p = j.progress;
  if (!p) return OPEN.has(j.status) ? esc(j.status === 'queued' ? 'waiting for a worker' : 'claimed') : '';
  const f = fraction(p);
  const parts = [esc(p.phase)];
  if (p.epochs) parts.push(`epoch ${p.epoch ?? 0}/${p.epochs}`);
  if (typeof p.loss === 'number') parts.push(`loss ${num(p.loss, 4)}`);
  if (typeof p.etaS === 'number' && OPEN.has(j.status)) parts.push(`~${Math.round(p.etaS)} s left`);
  const bar = f === null ? '<progress></progress>' : `<progress max="1" value="${f}"></progress>`;
  return `${OPEN.has(j.status) ? bar : ''} ${parts.join(' · ')}${p.message ? `<div class="hint">${esc(p.message)}</div>` : ''}`;
}

/** @param {JobView} j */
function metricsCell(j) {
  const m = j.metrics;
  if (!m) return '';
  /** @param {string} label @param {WorkerHeldOutMetrics | null} x */
  const row = (label, x) =>
    x ? `${label}: img ${num(x.imageAuroc)} · px ${num(x.pixelAuroc)} · FA ${num(x.falseAlarmRate)} (n ${x.n})` : '';
  return `${row('new', m.candidate)}<br>${row('parent', m.parent)}${j.threshold !== null ? `<br>threshold ${num(j.threshold, 4)}` : ''}`;
}

/**
 * A snapshot's normals by origin; snapshots taken before origins were kept know only the total.
 * @param {DatasetCounts} x
 */
const normals = (x) =>
  x.rejected !== undefined && x.sampled !== undefined
    ? `${x.rejected} rejected · ${x.sampled} sampled normal`
    : `${x.normal} normal`;

/** @param {DatasetSplitCounts | undefined} c */
function countsCell(c) {
  if (!c) return '';
  /** @param {DatasetCounts} x */
  const part = (x) => `${x.px} px · ${x.img} img · ${normals(x)}`;
  return `<div class="hint">train ${part(c.train)}<br>held out ${part(c.heldout)}</div>`;
}

/** @param {JobView} j @param {boolean} isAdmin */
function jobRow(j, isAdmin) {
  const version = j.resultVersion ?? j.targetVersion;
  const err = j.errorCode ? `<div class="error">${esc(j.errorCode)}: ${esc(j.errorMessage)}</div>` : '';
  const lease =
    OPEN.has(j.status) && j.leaseOwner
      ? `${esc(j.leaseOwner)}${j.leaseExpiresAt && new Date(j.leaseExpiresAt) < new Date() ? ' (lease expired)' : ''}`
      : esc(j.leaseOwner);
  const cancel =
    isAdmin && OPEN.has(j.status) ? `<button type="button" data-cancel="${esc(j.id)}">Cancel</button>` : '';
  return `<tr data-job="${esc(j.id)}" data-status="${esc(j.status)}"><td>${esc(j.id)}${countsCell(j.datasetCounts)}</td><td>${esc(j.line)}</td>
    <td class="job-${esc(j.status)}">${esc(j.status)}</td><td>${esc(j.trigger)}</td>
    <td>${esc(j.parentVersion)} → ${esc(version)}</td><td>${j.attempt}/${j.maxAttempts}</td><td>${lease}</td>
    <td class="progress">${progressCell(j)}${err}</td><td>${metricsCell(j)}</td>
    <td>${esc(ago(j.createdAt))}${j.finishedAt ? `<br><span class="hint">ended ${esc(ago(j.finishedAt))}</span>` : ''}</td>
    <td>${cancel}</td></tr>`;
}

/** @param {TrainingLineView} l @param {boolean} isAdmin */
function lineRow(l, isAdmin) {
  const c = l.counts;
  const canTrain = isAdmin && !l.openJobId && l.liveVersion && c.px + c.img > 0;
  const why = l.openJobId
    ? 'a job is open'
    : !l.liveVersion
      ? 'no live model'
      : c.px + c.img === 0
        ? 'no confirmed defects'
        : '';
  const auto = l.autoTriggerMinMasks === null ? 'auto off' : `${l.newMasks} / ${l.autoTriggerMinMasks}`;
  const button = isAdmin
    ? `<button type="button" data-train="${esc(l.line)}" ${canTrain ? '' : `disabled title="${esc(why)}"`}>Train now</button>`
    : '';
  return `<tr data-line="${esc(l.line)}"><td>${esc(l.line)}</td><td>${c.px}</td><td>${c.img}</td>
    <td class="rejected">${c.rejected ?? '–'}</td><td class="sampled">${c.sampled ?? '–'}</td>
    <td>${esc(auto)}</td><td>${esc(l.liveVersion ?? '–')}</td><td>${esc(l.openJobId ?? '')}</td><td>${button}</td></tr>`;
}

/**
 * @param {HTMLElement} main
 * @param {UserView | null} me
 */
export async function renderJobs(main, me) {
  timers.forEach(clearInterval);
  timers = [];
  const isAdmin = me?.role === 'admin';
  main.innerHTML = `<h3>Training data per line</h3>
    <p class="hint">px: confirmed with a painted mask (pixel loss) · img: confirmed without a mask (image loss) ·
      rejected: flagged frames rejected as false alarms · sampled: unflagged frames the agents sampled as normal (both
      train as normals). New masks count towards the automatic trigger.</p>
    <table id="training-lines" class="stats"><thead><tr><th>Line</th><th>px</th><th>img</th><th>rejected</th><th>sampled</th>
      <th>New masks / trigger</th><th>Live model</th><th>Open job</th><th></th></tr></thead><tbody></tbody></table>
    <h3>Jobs</h3>
    <table id="jobs"><thead><tr><th>Job</th><th>Line</th><th>Status</th><th>Trigger</th><th>Parent → version</th>
      <th>Attempt</th><th>Worker</th><th>Progress</th><th>Held-out metrics</th><th>Created</th><th></th></tr></thead>
      <tbody></tbody></table>`;
  const linesBody = find(main, '#training-lines tbody', HTMLTableSectionElement);
  const jobsBody = find(main, '#jobs tbody', HTMLTableSectionElement);
  const loadLines = async () => {
    /** @type {{ lines: TrainingLineView[] }} */
    const { lines } = await api('GET', '/api/training/lines');
    linesBody.innerHTML =
      lines.map((l) => lineRow(l, isAdmin)).join('') || '<tr><td colspan="9">No lines yet.</td></tr>';
  };
  const loadJobs = async () => {
    /** @type {{ jobs: JobView[] }} */
    const { jobs } = await api('GET', '/api/jobs?limit=50');
    jobsBody.innerHTML =
      jobs.map((j) => jobRow(j, isAdmin)).join('') || '<tr><td colspan="11">No training jobs yet.</td></tr>';
  };
  main.addEventListener('click', async (ev) => {
    const t = ev.target;
    if (!(t instanceof HTMLButtonElement)) return;
    try {
      if (t.dataset.train) {
        t.disabled = true;
        /** @type {JobView} */
        const job = await api('POST', '/api/jobs', { line: t.dataset.train });
        toast(`Job ${job.id} queued for ${job.line}`);
      } else if (t.dataset.cancel) {
        await api('POST', `/api/jobs/${encodeURIComponent(t.dataset.cancel)}/cancel`);
        toast('Job cancelled');
      } else return;
      await Promise.all([loadLines(), loadJobs()]);
    } catch (e) {
      const { code, message } = errorParts(e);
      toast(`${code ?? 'error'}: ${message}`, true);
      await loadLines().catch(() => {});
    }
  });
  await Promise.all([loadLines(), loadJobs()]);
  const stop = () => timers.forEach(clearInterval);
  timers.push(setInterval(() => loadJobs().catch(stop), JOBS_MS));
  timers.push(setInterval(() => loadLines().catch(stop), LINES_MS));
  window.addEventListener('hashchange', stop, { once: true });
}
