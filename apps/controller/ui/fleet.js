// Fleet view: each visible device's last report (online, last seen, agent/model version, condition ok/degraded/offline
// with its coded problems, execution provider, per-camera fps, inference latency, outbox depth). Refreshes every few seconds while shown, so a device dropping off appears without a reload; when the controller stops answering, a
// "disconnected" banner says since when and the devices read "unknown" until it answers again (poll.js).
import { api, find } from './api.js';
import { pollLive } from './poll.js';
import { renderDriftAlerts } from './drift-alerts.js';
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
/** Stops the running poll (a re-render or leaving the page). */
let stopPolling = () => {};

const CONDITION_CLASS = { ok: 'status-confirmed', degraded: 'condition-degraded', offline: 'status-rejected' };

/** "inference: LW_AGENT_PROVIDER_FALLBACK — cuda unavailable, running on cpu", one per line.
 * @param {FleetDevice} d */
function problemsCell(d) {
  return d.problems
    .map((p) => `<div class="problem">${esc(p.key)}: <code>${esc(p.code)}</code> — ${esc(p.message)}</div>`)
    .join('');
}

/**
 * The live columns (fps, latency, outbox, agent state). An offline device's last status and health are what its agent
 * said before it went away — its state was "running" then — so they are not shown as if current: dashes, with the
 * time they are from on hover.
 * @param {FleetDevice} d
 */
function liveCells(d) {
  if (!d.online) {
    const dash = `<span class="hint" title="offline: last report ${esc(new Date(d.lastSeen).toLocaleString())}">–</span>`;
    return { cams: dash, lat: dash, outbox: dash, state: '' };
  }
  const cams = (d.health?.cameras ?? []).map((c) => `${esc(c.camera)} ${Number(c.fps).toFixed(1)} fps`).join(', ');
  const lat = d.health?.latencyMs
    ? `${Math.round(d.health.latencyMs.p50)} / ${Math.round(d.health.latencyMs.p99)} ms`
    : '';
  const outbox = d.health?.outbox ? `${d.health.outbox.depth}` : '';
  const state = d.status?.state && d.status.state !== 'running' ? ` (${esc(d.status.state)})` : '';
  return { cams, lat, outbox, state };
}

/** @param {FleetDevice[]} devices */
function rows(devices) {
  return devices.map((d) => {
    const { cams, lat, outbox, state } = liveCells(d);
    return `<tr data-id="${esc(d.deviceId)}" data-online="${d.online}" data-condition="${esc(d.condition)}" class="${d.online ? '' : 'device-offline'}"><td>${esc(d.deviceId)}</td><td>${esc(d.line)}</td>
      <td class="link ${d.online ? 'status-confirmed' : 'status-rejected'}">${d.online ? 'online' : 'offline'}</td>
      <td>${esc(new Date(d.lastSeen).toLocaleString())}</td><td>${esc(d.agentVersion)}</td><td>${esc(d.modelVersion)}</td>
      <td class="condition ${CONDITION_CLASS[d.condition]}">${esc(d.condition)}${state}</td>
      <td class="problems">${problemsCell(d)}</td><td class="provider">${esc(d.executionProvider)}</td><td>${cams}</td><td>${lat}</td><td>${outbox}</td></tr>`;
  });
}

/**
 * While the controller does not answer, no device's link or state is known: each row says "unknown" (the table is
 * greyed by its stale class) until the next answer redraws it.
 * @param {HTMLElement} body
 */
function markUnknown(body) {
  for (const row of body.querySelectorAll('tr[data-id]')) {
    if (!(row instanceof HTMLElement)) continue;
    row.dataset.online = 'unknown';
    row.dataset.condition = 'unknown';
    const link = row.querySelector('.link');
    if (link) {
      link.className = 'link status-pending';
      link.textContent = 'unknown';
    }
    const condition = row.querySelector('.condition');
    if (condition) {
      condition.className = 'condition status-pending';
      condition.textContent = 'unknown';
    }
  }
}

/** @param {HTMLElement} main */
export async function renderFleet(main) {
  stopPolling();
  main.innerHTML = `<div id="fleet-disconnected" class="disconnected-banner" role="alert" hidden></div><div id="fleet-alerts" hidden></div><table id="fleet"><thead><tr><th>Device</th><th>Line</th><th>Link</th><th>Last seen</th><th>Agent</th>
    <th>Model</th><th>State</th><th>Problems</th><th>Provider</th><th>Cameras</th><th>Latency p50 / p99</th><th>Outbox</th></tr></thead><tbody></tbody></table>`;
  const body = find(main, '#fleet tbody', HTMLTableSectionElement);
  const load = async () => {
    /** @type {{ devices: FleetDevice[] }} */
    const { devices } = await api('GET', '/api/fleet');
    body.innerHTML = rows(devices).join('') || '<tr><td colspan="12">No devices have reported yet.</td></tr>';
    await renderDriftAlerts(find(main, '#fleet-alerts', HTMLElement));
  };
  await load();
  stopPolling = pollLive({
    banner: find(main, '#fleet-disconnected', HTMLElement),
    view: find(main, '#fleet', HTMLElement),
    load,
    everyMs: REFRESH_MS,
    lastOk: new Date(),
    onStale: () => markUnknown(body),
  });
  window.addEventListener('hashchange', () => stopPolling(), { once: true });
}
