// Model registry and rollouts. #/models: every version with its lineage (parent, job, dataset snapshot), held-out
// metrics against the parent, eligibility and why, status and approval (admins approve, which starts a staged
// rollout), and the rollouts with their progress. #/rollout/<id>: per-device targets, the full decision log (every
// engine and admin decision with its reason) and pause/resume/abort/rollback for admins. Polls while shown.
import { api, toast, find, errorParts } from './api.js';
/**
 * @import { ModelVersionBody, RolloutBody, RolloutDecisionBody, RolloutDetailBody, UserView } from '@linewatch/protocol/http'
 * @import { ModelReportMessage } from '@linewatch/protocol'
 */

/**
 * @typedef {ModelVersionBody['metrics']} ModelMetrics
 * @typedef {NonNullable<ModelMetrics>['candidate']} HeldOutMetrics
 */
/**
 * The schema leaves a target's report and the baseline open (stored as the engine recorded them): the report is the
 * device's last model report, the baseline the parent's flagged/frame counts, each null while there is none.
 * @typedef {Omit<RolloutDetailBody['targets'][number], 'report'> & { report: ModelReportMessage | null }} RolloutTarget
 * @typedef {Omit<RolloutDetailBody, 'baseline' | 'targets'>
 *   & { baseline: { flagged: number, frames: number } | null, targets: RolloutTarget[] }} RolloutDetail
 */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const REFRESH_MS = 2000;
/** @param {number | null | undefined} v @param {number} [d] */
const num = (v, d = 3) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
/** @param {string | null} iso */
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;

/** @param {ModelMetrics} m */
function metrics(m) {
  if (!m) return '<span class="hint">not measured</span>';
  /** @param {string} label @param {HeldOutMetrics | null} x */
  const row = (label, x) =>
    x ? `${label}: img ${num(x.imageAuroc)} · px ${num(x.pixelAuroc)} · FA ${num(x.falseAlarmRate)} (n ${x.n})` : '';
  return `${row('new', m.candidate)}${m.parent ? `<br>${row('parent', m.parent)}` : ''}`;
}

/**
 * The interval verdicts behind eligibility: "not enough data" (too few held-out items per class, or an interval too
 * wide to tell) is shown with its intervals so a human can weigh it; the pixel-AUROC line (image-level bootstrap)
 * names how many masked held-out images it rests on.
 * @param {ModelMetrics} m
 */
function decision(m) {
  const d = m?.decision;
  if (!d) return '';
  /** @param {string} name @param {NonNullable<typeof d.imageAuroc>} x */
  const line = (name, x) =>
    `<div class="hint" data-verdict="${esc(x.verdict)}">${esc(name)} Δ ${num(x.diff, 4)} [${num(x.lo, 4)}, ${num(x.hi, 4)}] → ${esc(x.verdict)}</div>`;
  return `<div class="decision-${esc(d.decision)}" data-decision="${esc(d.decision)}"><strong>${esc(d.decision.replace(/-/g, ' '))}</strong>
    <div class="hint">${d.anomalous} anomalous · ${d.normal} normal held out (need ${d.minPerClass} each) · ${Math.round(d.confidence * 100)} % intervals</div>
    ${d.imageAuroc ? line('image AUROC', d.imageAuroc) : ''}${d.falseAlarm ? line('false alarms', d.falseAlarm) : ''}${
      d.pixelAuroc ? line(`pixel AUROC (${d.masked ?? 0} masked)`, d.pixelAuroc) : ''
    }</div>`;
}

/** @param {ModelVersionBody} m */
function calibration(m) {
  const c = m.metrics?.calibration;
  if (!c) return '';
  return `<div class="hint">threshold from ${c.normals} normal frames: ${c.falseAlarms} above it, false alarms ≤ ${num(c.hi * 100, 1)} % (${Math.round(c.confidence * 100)} %)</div>`;
}

/**
 * Who approved: the username the API resolved; a deleted user's id stays visible (as such) rather than nothing.
 * @param {ModelVersionBody} m
 */
function approver(m) {
  if (m.approvedByName) return esc(m.approvedByName);
  return m.approvedBy ? `<span class="hint" title="user id (no such user now)">${esc(m.approvedBy)}</span>` : '';
}

/** @param {ModelVersionBody} m @param {boolean} isAdmin */
function modelRow(m, isAdmin) {
  const elig =
    m.eligible === null ? (m.metrics?.decision ? 'not enough data' : 'n/a') : m.eligible ? 'eligible' : 'ineligible';
  // Installed on every device of its scope (a line's first model): live, nothing to approve or roll out.
  const everywhere = !!m.devices && m.devices.total > 0 && m.devices.running === m.devices.total;
  const live =
    m.devices && m.devices.running > 0
      ? `<div class="hint">live on ${m.devices.running} of ${m.devices.total} device(s)</div>`
      : '';
  const canApprove = isAdmin && m.eligible !== false && !m.approvedAt && m.status === 'candidate' && !everywhere;
  return `<tr data-version="${esc(m.version)}" data-status="${esc(m.status)}"><td>${esc(m.version)}<div class="hint">build ${m.build} · ${esc(m.sha256.slice(0, 12))}…</div></td>
    <td>${esc(m.line ?? 'fleet')}</td><td>${esc(m.parentVersion ?? '–')}</td>
    <td>${esc(m.jobId ?? '')}${m.datasetSnapshotId ? `<div class="hint">dataset ${esc(m.datasetSnapshotId)}</div>` : ''}</td>
    <td>${metrics(m.metrics)}${m.threshold !== null ? `<br>threshold ${num(m.threshold, 4)}` : ''}${calibration(m)}</td>
    <td class="elig-${esc(elig.replace(/ /g, '-'))}" title="${esc(m.eligibility)}">${m.metrics?.decision ? decision(m.metrics) : esc(elig)}<div class="hint">${esc(m.eligibility)}</div></td>
    <td class="model-${esc(m.status)}">${esc(m.status === 'deployed' && everywhere ? 'live' : m.status)}${live}</td>
    <td class="approved">${m.approvedAt ? `${approver(m)}<div class="hint">${esc(when(m.approvedAt))}</div>` : ''}</td>
    <td>${canApprove ? `<button type="button" data-approve="${esc(m.version)}">Approve &amp; roll out</button>` : ''}</td></tr>`;
}

/** @param {Record<string, number>} c targets per state */
function counts(c) {
  return Object.entries(c)
    .map(([k, v]) => `${v} ${esc(k)}`)
    .join(' · ');
}

/** @param {RolloutBody} r */
function rolloutRow(r) {
  const wave = r.phase === 'done' ? '' : `${r.wave === 0 ? 'canary' : `wave ${r.wave}`} of ${r.waves - 1}`;
  return `<tr class="row" tabindex="0" data-rollout="${esc(r.id)}" data-state="${esc(r.state)}"><td>${esc(r.id)}</td><td>${esc(r.version)}</td>
    <td>${esc(r.parentVersion ?? '–')}</td><td>${esc(r.line ?? 'fleet')}</td><td class="ro-${esc(r.state)}">${esc(r.state)}</td>
    <td>${esc(r.phase)} ${esc(wave)}</td><td>${counts(r.counts)}</td><td>${esc(when(r.createdAt))}</td>
    <td class="hint">${esc(r.reason ?? '')}</td></tr>`;
}

/**
 * @param {HTMLElement} main
 * @param {UserView | null} me
 */
export async function renderModels(main, me) {
  clearInterval(timer);
  const isAdmin = me?.role === 'admin';
  main.innerHTML = `<h3>Rollouts</h3>
    <table id="rollouts"><thead><tr><th>Rollout</th><th>Version</th><th>From</th><th>Scope</th><th>State</th><th>Phase</th>
      <th>Devices</th><th>Started</th><th>Reason</th></tr></thead><tbody></tbody></table>
    <h3>Model versions</h3>
    <table id="models"><thead><tr><th>Version</th><th>Line</th><th>Parent</th><th>Job / dataset</th><th>Held-out metrics</th>
      <th>Eligibility</th><th>Status</th><th>Approved</th><th></th></tr></thead><tbody></tbody></table>`;
  const modelsBody = find(main, '#models tbody', HTMLTableSectionElement);
  const rolloutsBody = find(main, '#rollouts tbody', HTMLTableSectionElement);
  const load = async () => {
    /** @type {Promise<{ models: ModelVersionBody[] }>} */
    const modelsReq = api('GET', '/api/models?limit=100');
    /** @type {Promise<{ rollouts: RolloutBody[] }>} */
    const rolloutsReq = api('GET', '/api/rollouts?limit=50');
    const [{ models }, { rollouts }] = await Promise.all([modelsReq, rolloutsReq]);
    modelsBody.innerHTML =
      models.map((m) => modelRow(m, isAdmin)).join('') || '<tr><td colspan="9">No model versions yet.</td></tr>';
    rolloutsBody.innerHTML = rollouts.map(rolloutRow).join('') || '<tr><td colspan="9">No rollouts yet.</td></tr>';
  };
  main.addEventListener('click', async (ev) => {
    const t = ev.target instanceof Element ? ev.target : null;
    const rollout = rolloutOfRow(t);
    if (rollout !== undefined) {
      location.hash = `#/rollout/${encodeURIComponent(rollout)}`;
      return;
    }
    if (!(t instanceof HTMLButtonElement) || !t.dataset.approve) return;
    t.disabled = true;
    try {
      /** @type {{ rolloutId: string | null }} */
      const res = await api('POST', `/api/models/${encodeURIComponent(t.dataset.approve)}/approve`, {});
      toast(res.rolloutId ? `Approved; rollout ${res.rolloutId} started` : 'Approved');
      if (res.rolloutId) location.hash = `#/rollout/${encodeURIComponent(res.rolloutId)}`;
      else await load();
    } catch (e) {
      const { code, message } = errorParts(e);
      toast(`${code ?? 'error'}: ${message}`, true);
      await load().catch(() => {});
    }
  });
  main.addEventListener('keydown', (ev) => {
    const rollout = rolloutOfRow(ev.target instanceof Element ? ev.target : null);
    if (rollout !== undefined && ev.key === 'Enter') location.hash = `#/rollout/${encodeURIComponent(rollout)}`;
  });
  await load();
  timer = setInterval(() => load().catch(() => clearInterval(timer)), REFRESH_MS);
  window.addEventListener('hashchange', () => clearInterval(timer), { once: true });
}

/**
 * The rollout id of the rollouts-table row holding el, undefined outside one.
 * @param {Element | null} el
 */
function rolloutOfRow(el) {
  const row = el?.closest('tr[data-rollout]');
  return row instanceof HTMLElement ? row.dataset.rollout : undefined;
}

/** @param {RolloutTarget} t */
function targetRow(t) {
  const rep = t.report ? `${esc(t.report.state)}${t.report.reason ? ` ${esc(t.report.reason.code)}` : ''}` : '';
  return `<tr data-device="${esc(t.deviceId)}" data-state="${esc(t.state)}"><td>${esc(t.deviceId)}</td><td>${t.wave === 0 ? 'canary' : t.wave}</td>
    <td class="tg-${esc(t.state)}">${esc(t.state)}</td><td>${esc(t.fromVersion ?? '–')}</td><td>${rep}</td><td>${t.frames}</td>
    <td>${esc(when(t.issuedAt))}</td><td>${esc(when(t.liveAt))}</td><td>${esc(when(t.rolledBackAt))}</td></tr>`;
}

/**
 * The QA gate's standing: reviews so far and how many are missing; whether the policy holds the next wave for them.
 * @param {RolloutDetailBody['qaGate']} q
 */
function qaGate(q) {
  if (!q) return '';
  const state =
    q.missing === 0
      ? 'judging'
      : q.holds
        ? `<strong>holding the next wave: ${q.missing} review(s) missing</strong>`
        : `${q.missing} review(s) missing (not held: waves pass without them)`;
  return `<p class="hint" id="qa-gate" data-missing="${q.missing}" data-holds="${q.holds}">QA gate: ${q.candidateReviews} review(s) on the candidate, ${q.parentReviews ?? 0} on the parent, need ${q.minReviews} each — ${state}</p>`;
}

/** @param {RolloutDecisionBody} d */
function decisionRow(d) {
  return `<tr data-action="${esc(d.action)}"><td>${esc(when(d.at))}</td><td>${esc(d.actor)}</td><td><strong>${esc(d.action)}</strong></td>
    <td>${esc(d.reason)}</td></tr>`;
}

/**
 * @param {HTMLElement} main
 * @param {UserView | null} me
 * @param {string} id
 */
export async function renderRollout(main, me, id) {
  clearInterval(timer);
  const isAdmin = me?.role === 'admin';
  main.innerHTML = `<p><a href="#/models">← Models &amp; rollouts</a></p><div id="rollout-head"></div>
    <div class="tools" id="rollout-actions"></div>
    <h3>Decisions</h3><table id="decisions"><thead><tr><th>When</th><th>By</th><th>Decision</th><th>Reason</th></tr></thead><tbody></tbody></table>
    <h3>Devices</h3><table id="targets"><thead><tr><th>Device</th><th>Wave</th><th>State</th><th>From</th><th>Last report</th>
      <th>Frames on candidate</th><th>Command sent</th><th>Live</th><th>Rolled back</th></tr></thead><tbody></tbody></table>`;
  const head = find(main, '#rollout-head', HTMLElement);
  const actions = find(main, '#rollout-actions', HTMLElement);
  const load = async () => {
    /** @type {RolloutDetail} */
    const d = await api('GET', `/api/rollouts/${encodeURIComponent(id)}`);
    const r = d.rollout;
    const base = d.baseline ? ` · baseline ${d.baseline.flagged}/${d.baseline.frames} flagged frames` : '';
    head.innerHTML = `<h2>${esc(r.version)} <span class="ro-${esc(r.state)}" id="rollout-state">${esc(r.state)}</span></h2>
      <p>${esc(r.line ?? 'fleet')} · from ${esc(r.parentVersion ?? '–')} · phase ${esc(r.phase)} · wave ${r.wave} of ${r.waves - 1} ·
        ${counts(r.counts)}${esc(base)}</p>${r.reason ? `<p class="hint">${esc(r.reason)}</p>` : ''}
      <p class="hint">policy: canary ${esc(d.policy.canaryDevices ?? `${d.policy.canaryPercent}%`)}, waves ${esc(d.policy.waveDevices ?? `${d.policy.wavePercent}%`)},
        observe ${d.policy.observeS} s, ≥ ${d.policy.minFrames} frames, flag band ×${1 + d.policy.flagBandRel} + ${d.policy.flagBandAbs}${(d.policy.flagDropMax ?? 1) < 1 ? `, down to ×${num(1 - (d.policy.flagDropMax ?? 1), 2)}` : ''}${d.policy.shadow ? `, shadow ${d.policy.shadow.durationS} s` : ''}</p>${qaGate(d.qaGate)}`;
    const can = {
      pause: r.state === 'running',
      resume: r.state === 'paused',
      abort: r.state === 'running' || r.state === 'paused',
      rollback: !['rolling-back', 'rolled-back'].includes(r.state),
    };
    actions.innerHTML = isAdmin
      ? Object.entries(can)
          .filter(([, ok]) => ok)
          .map(([a]) => `<button type="button" data-action="${a}">${a[0].toUpperCase()}${a.slice(1)}</button>`)
          .join(' ')
      : '';
    find(main, '#decisions tbody', HTMLTableSectionElement).innerHTML = [...d.decisions]
      .reverse()
      .map(decisionRow)
      .join('');
    find(main, '#targets tbody', HTMLTableSectionElement).innerHTML = d.targets.map(targetRow).join('');
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
      const { code, message } = errorParts(e);
      toast(`${code ?? 'error'}: ${message}`, true);
    }
  });
  await load();
  timer = setInterval(() => load().catch(() => clearInterval(timer)), REFRESH_MS);
  window.addEventListener('hashchange', () => clearInterval(timer), { once: true });
}
