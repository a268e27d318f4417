// Model registry and rollouts. #/models: every version with its lineage (parent, job, dataset snapshot), held-out
// metrics against the parent, eligibility and why, status and approval (admins approve, which starts a staged
// rollout), and the rollouts with their progress. #/rollout/<id>: per-device targets, the full decision log (every
// engine and admin decision with its reason) and pause/resume/abort/rollback for admins. Polls while shown.
import { api, toast } from './api.js';

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const REFRESH_MS = 2000;
const num = (v, d = 3) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const ACTIVE = new Set(['running', 'paused', 'rolling-back']);
let timer = null;

function metrics(m) {
  if (!m) return '<span class="hint">not measured</span>';
  const row = (label, x) => (x ? `${label}: img ${num(x.imageAuroc)} · px ${num(x.pixelAuroc)} · FA ${num(x.falseAlarmRate)} (n ${x.n})` : '');
  return `${row('new', m.candidate)}${m.parent ? `<br>${row('parent', m.parent)}` : ''}`;
}

function modelRow(m, isAdmin) {
  const elig = m.eligible === null ? 'n/a' : m.eligible ? 'eligible' : 'ineligible';
  const canApprove = isAdmin && m.eligible !== false && !m.approvedAt;
  return `<tr data-version="${esc(m.version)}" data-status="${esc(m.status)}"><td>${esc(m.version)}<div class="hint">build ${m.build} · ${esc(m.sha256.slice(0, 12))}…</div></td>
    <td>${esc(m.line ?? 'fleet')}</td><td>${esc(m.parentVersion ?? '–')}</td>
    <td>${esc(m.jobId ?? '')}${m.datasetSnapshotId ? `<div class="hint">dataset ${esc(m.datasetSnapshotId)}</div>` : ''}</td>
    <td>${metrics(m.metrics)}${m.threshold !== null ? `<br>threshold ${num(m.threshold, 4)}` : ''}</td>
    <td class="elig-${esc(elig)}" title="${esc(m.eligibility)}">${esc(elig)}<div class="hint">${esc(m.eligibility)}</div></td>
    <td class="model-${esc(m.status)}">${esc(m.status)}</td>
    <td>${m.approvedAt ? `${esc(m.approvedBy)}<div class="hint">${esc(when(m.approvedAt))}</div>` : ''}</td>
    <td>${canApprove ? `<button type="button" data-approve="${esc(m.version)}">Approve &amp; roll out</button>` : ''}</td></tr>`;
}

function counts(c) {
  return Object.entries(c).map(([k, v]) => `${v} ${esc(k)}`).join(' · ');
}

function rolloutRow(r) {
  const wave = r.phase === 'done' ? '' : `${r.wave === 0 ? 'canary' : `wave ${r.wave}`} of ${r.waves - 1}`;
  return `<tr class="row" tabindex="0" data-rollout="${esc(r.id)}" data-state="${esc(r.state)}"><td>${esc(r.id)}</td><td>${esc(r.version)}</td>
    <td>${esc(r.parentVersion ?? '–')}</td><td>${esc(r.line ?? 'fleet')}</td><td class="ro-${esc(r.state)}">${esc(r.state)}</td>
    <td>${esc(r.phase)} ${esc(wave)}</td><td>${counts(r.counts)}</td><td>${esc(when(r.createdAt))}</td>
    <td class="hint">${esc(r.reason ?? '')}</td></tr>`;
}

export async function renderModels(main, me) {
  clearInterval(timer);
  const isAdmin = me?.role === 'admin';
  main.innerHTML = `<h3>Rollouts</h3>
    <table id="rollouts"><thead><tr><th>Rollout</th><th>Version</th><th>From</th><th>Scope</th><th>State</th><th>Phase</th>
      <th>Devices</th><th>Started</th><th>Reason</th></tr></thead><tbody></tbody></table>
    <h3>Model versions</h3>
    <table id="models"><thead><tr><th>Version</th><th>Line</th><th>Parent</th><th>Job / dataset</th><th>Held-out metrics</th>
      <th>Eligibility</th><th>Status</th><th>Approved</th><th></th></tr></thead><tbody></tbody></table>`;
  const modelsBody = main.querySelector('#models tbody');
  const rolloutsBody = main.querySelector('#rollouts tbody');
  const load = async () => {
    const [{ models }, { rollouts }] = await Promise.all([api('GET', '/api/models?limit=100'), api('GET', '/api/rollouts?limit=50')]);
    modelsBody.innerHTML = models.map((m) => modelRow(m, isAdmin)).join('') || '<tr><td colspan="9">No model versions yet.</td></tr>';
    rolloutsBody.innerHTML = rollouts.map(rolloutRow).join('') || '<tr><td colspan="9">No rollouts yet.</td></tr>';
  };
  main.addEventListener('click', async (ev) => {
    const t = ev.target instanceof Element ? ev.target : null;
    const row = t?.closest('tr[data-rollout]');
    if (row) {
      location.hash = `#/rollout/${encodeURIComponent(row.dataset.rollout)}`;
      return;
    }
    if (!(t instanceof HTMLButtonElement) || !t.dataset.approve) return;
    t.disabled = true;
    try {
      const res = await api('POST', `/api/models/${encodeURIComponent(t.dataset.approve)}/approve`, {});
      toast(res.rolloutId ? `Approved; rollout ${res.rolloutId} started` : 'Approved');
      if (res.rolloutId) location.hash = `#/rollout/${encodeURIComponent(res.rolloutId)}`;
      else await load();
    } catch (e) {
      toast(`${e.code ?? 'error'}: ${e.message}`, true);
      await load().catch(() => {});
    }
  });
  main.addEventListener('keydown', (ev) => {
    const row = ev.target instanceof Element ? ev.target.closest('tr[data-rollout]') : null;
    if (row && ev.key === 'Enter') location.hash = `#/rollout/${encodeURIComponent(row.dataset.rollout)}`;
  });
  await load();
  timer = setInterval(() => load().catch(() => clearInterval(timer)), REFRESH_MS);
  window.addEventListener('hashchange', () => clearInterval(timer), { once: true });
}

function targetRow(t) {
  const rep = t.report ? `${esc(t.report.state)}${t.report.reason ? ` ${esc(t.report.reason.code)}` : ''}` : '';
  return `<tr data-device="${esc(t.deviceId)}" data-state="${esc(t.state)}"><td>${esc(t.deviceId)}</td><td>${t.wave === 0 ? 'canary' : t.wave}</td>
    <td class="tg-${esc(t.state)}">${esc(t.state)}</td><td>${esc(t.fromVersion ?? '–')}</td><td>${rep}</td><td>${t.frames}</td>
    <td>${esc(when(t.issuedAt))}</td><td>${esc(when(t.liveAt))}</td><td>${esc(when(t.rolledBackAt))}</td></tr>`;
}

function decisionRow(d) {
  return `<tr data-action="${esc(d.action)}"><td>${esc(when(d.at))}</td><td>${esc(d.actor)}</td><td><strong>${esc(d.action)}</strong></td>
    <td>${esc(d.reason)}</td></tr>`;
}

export async function renderRollout(main, me, id) {
  clearInterval(timer);
  const isAdmin = me?.role === 'admin';
  main.innerHTML = `<p><a href="#/models">← Models &amp; rollouts</a></p><div id="rollout-head"></div>
    <div class="tools" id="rollout-actions"></div>
    <h3>Decisions</h3><table id="decisions"><thead><tr><th>When</th><th>By</th><th>Decision</th><th>Reason</th></tr></thead><tbody></tbody></table>
    <h3>Devices</h3><table id="targets"><thead><tr><th>Device</th><th>Wave</th><th>State</th><th>From</th><th>Last report</th>
      <th>Frames on candidate</th><th>Command sent</th><th>Live</th><th>Rolled back</th></tr></thead><tbody></tbody></table>`;
  const head = main.querySelector('#rollout-head');
  const actions = main.querySelector('#rollout-actions');
  const load = async () => {
    const d = await api('GET', `/api/rollouts/${encodeURIComponent(id)}`);
    const r = d.rollout;
    const base = d.baseline ? ` · baseline ${d.baseline.flagged}/${d.baseline.frames} flagged frames` : '';
    head.innerHTML = `<h2>${esc(r.version)} <span class="ro-${esc(r.state)}" id="rollout-state">${esc(r.state)}</span></h2>
      <p>${esc(r.line ?? 'fleet')} · from ${esc(r.parentVersion ?? '–')} · phase ${esc(r.phase)} · wave ${r.wave} of ${r.waves - 1} ·
        ${counts(r.counts)}${esc(base)}</p>${r.reason ? `<p class="hint">${esc(r.reason)}</p>` : ''}
      <p class="hint">policy: canary ${esc(d.policy.canaryDevices ?? `${d.policy.canaryPercent}%`)}, waves ${esc(d.policy.waveDevices ?? `${d.policy.wavePercent}%`)},
        observe ${d.policy.observeS} s, ≥ ${d.policy.minFrames} frames, flag band ×${1 + d.policy.flagBandRel} + ${d.policy.flagBandAbs}${d.policy.shadow ? `, shadow ${d.policy.shadow.durationS} s` : ''}</p>`;
    const can = { pause: r.state === 'running', resume: r.state === 'paused', abort: r.state === 'running' || r.state === 'paused',
      rollback: !['rolling-back', 'rolled-back'].includes(r.state) };
    actions.innerHTML = isAdmin
      ? Object.entries(can).filter(([, ok]) => ok).map(([a]) => `<button type="button" data-action="${a}">${a[0].toUpperCase()}${a.slice(1)}</button>`).join(' ')
      : '';
    main.querySelector('#decisions tbody').innerHTML = [...d.decisions].reverse().map(decisionRow).join('');
    main.querySelector('#targets tbody').innerHTML = d.targets.map(targetRow).join('');
    return r;
  };
  actions.addEventListener('click', async (ev) => {
    const t = ev.target;
    if (!(t instanceof HTMLButtonElement) || !t.dataset.action) return;
    const a = t.dataset.action;
    if ((a === 'abort' || a === 'rollback') && !confirm(`${a} this rollout?`)) return;
    try {
      await api('POST', `/api/rollouts/${encodeURIComponent(id)}/${a}`, { reason: `${a} from the UI` });
      toast(`Rollout ${a}d`);
      await load();
    } catch (e) {
      toast(`${e.code ?? 'error'}: ${e.message}`, true);
    }
  });
  await load();
  timer = setInterval(() => load().catch(() => clearInterval(timer)), REFRESH_MS);
  window.addEventListener('hashchange', () => clearInterval(timer), { once: true });
}
