// Fleet view: each visible device's last report (online, last seen, agent/model version, condition ok/degraded/offline
// with its coded problems, execution provider, per-camera fps, inference latency, outbox depth). Refreshes every few seconds while shown, so a device dropping off appears without a reload.
import { api, find } from './api.js';
/** @import { FleetEntry } from '@linewatch/protocol/http' */
/** @import { HealthMessage, StatusMessage } from '@linewatch/protocol' */

/**
 * The schema leaves status and health open (the controller stores the agent's last messages as they came); they are
 * the protocol's status and health messages, or null before the first one.
 * @typedef {Omit<FleetEntry, 'status' | 'health'>
 *   & { status: StatusMessage | null, health: HealthMessage | null }} FleetDevice
 */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const REFRESH_MS = 2000;
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;

const CONDITION_CLASS = { ok: 'status-confirmed', degraded: 'condition-degraded', offline: 'status-rejected' };

/** "inference: LW_AGENT_PROVIDER_FALLBACK — cuda unavailable, running on cpu", one per line.
 * @param {FleetDevice} d */
function problemsCell(d) {
  return d.problems
    .map((p) => `<div class="problem">${esc(p.key)}: <code>${esc(p.code)}</code> — ${esc(p.message)}</div>`)
    .join('');
}

/** @param {FleetDevice[]} devices */
function rows(devices) {
  return devices.map((d) => {
    const cams = (d.health?.cameras ?? []).map((c) => `${esc(c.camera)} ${Number(c.fps).toFixed(1)} fps`).join(', ');
    const lat = d.health?.latencyMs
      ? `${Math.round(d.health.latencyMs.p50)} / ${Math.round(d.health.latencyMs.p99)} ms`
      : '';
    const outbox = d.health?.outbox ? `${d.health.outbox.depth}` : '';
    const state = d.status?.state && d.status.state !== 'running' ? ` (${esc(d.status.state)})` : '';
    return `<tr data-id="${esc(d.deviceId)}" data-online="${d.online}" data-condition="${esc(d.condition)}"><td>${esc(d.deviceId)}</td><td>${esc(d.line)}</td>
      <td class="link ${d.online ? 'status-confirmed' : 'status-rejected'}">${d.online ? 'online' : 'offline'}</td>
      <td>${esc(new Date(d.lastSeen).toLocaleString())}</td><td>${esc(d.agentVersion)}</td><td>${esc(d.modelVersion)}</td>
      <td class="condition ${CONDITION_CLASS[d.condition]}">${esc(d.condition)}${state}</td>
      <td class="problems">${problemsCell(d)}</td><td class="provider">${esc(d.executionProvider)}</td><td>${cams}</td><td>${lat}</td><td>${outbox}</td></tr>`;
  });
}

/** @param {HTMLElement} main */
export async function renderFleet(main) {
  clearInterval(timer);
  main.innerHTML = `<table id="fleet"><thead><tr><th>Device</th><th>Line</th><th>Link</th><th>Last seen</th><th>Agent</th>
    <th>Model</th><th>State</th><th>Problems</th><th>Provider</th><th>Cameras</th><th>Latency p50 / p99</th><th>Outbox</th></tr></thead><tbody></tbody></table>`;
  const body = find(main, '#fleet tbody', HTMLTableSectionElement);
  const load = async () => {
    /** @type {{ devices: FleetDevice[] }} */
    const { devices } = await api('GET', '/api/fleet');
    body.innerHTML = rows(devices).join('') || '<tr><td colspan="12">No devices have reported yet.</td></tr>';
  };
  await load();
  timer = setInterval(() => load().catch(() => clearInterval(timer)), REFRESH_MS);
  window.addEventListener('hashchange', () => clearInterval(timer), { once: true });
}
