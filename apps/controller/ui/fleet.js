// Fleet view: each visible device's last report (online, last seen, agent/model version, per-camera fps, outbox).
import { api } from './api.js';

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function renderFleet(main) {
  const { devices } = await api('GET', '/api/fleet');
  const rows = devices.map((d) => {
    const cams = (d.health?.cameras ?? []).map((c) => `${esc(c.camera)} ${Number(c.fps).toFixed(1)} fps`).join(', ');
    const outbox = d.health?.outbox ? `${d.health.outbox.depth}` : '';
    return `<tr data-id="${esc(d.deviceId)}"><td>${esc(d.deviceId)}</td><td>${esc(d.line)}</td>
      <td class="${d.online ? 'status-confirmed' : 'status-rejected'}">${d.online ? 'online' : 'offline'}</td>
      <td>${esc(new Date(d.lastSeen).toLocaleString())}</td><td>${esc(d.agentVersion)}</td><td>${esc(d.modelVersion)}</td>
      <td>${esc(d.status?.state)}</td><td>${cams}</td><td>${outbox}</td></tr>`;
  });
  main.innerHTML = `<table><thead><tr><th>Device</th><th>Line</th><th>Link</th><th>Last seen</th><th>Agent</th>
    <th>Model</th><th>State</th><th>Cameras</th><th>Outbox</th></tr></thead>
    <tbody>${rows.join('') || '<tr><td colspan="9">No devices have reported yet.</td></tr>'}</tbody></table>`;
}
