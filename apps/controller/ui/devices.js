// Devices page (admins): enroll a device (a one-time token, shown once, with the command to run on the device), the
// device list with its link state (from the fleet view) and actions — disable/enable, re-key (new MQTT credentials,
// shown once; history kept), delete — and the enrollment tokens with their state (revoke while pending).
import { api, find, toast, errorParts } from './api.js';
/** @import { CreatedEnrollmentToken, DeviceCredentials, DeviceView, EnrollmentTokenView, FleetEntry, UserView } from '@linewatch/protocol/http' */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * @param {DeviceView} d
 * @param {FleetEntry | undefined} f
 */
function deviceRow(d, f) {
  const state = d.disabled ? 'disabled' : f?.online ? 'online' : f ? 'offline' : 'never connected';
  const cls = d.disabled || !f?.online ? 'status-rejected' : 'status-confirmed';
  return `<tr data-device="${esc(d.id)}" data-state="${esc(state)}"><td>${esc(d.id)}</td><td>${esc(d.name)}</td>
    <td>${esc(d.line)}</td><td class="${cls}">${esc(state)}</td><td>${esc(f?.modelVersion)}</td>
    <td>${esc(f ? new Date(f.lastSeen).toLocaleString() : '')}</td>
    <td><button type="button" data-act="${d.disabled ? 'enable' : 'disable'}">${d.disabled ? 'Enable' : 'Disable'}</button>
    <button type="button" data-act="rekey">Re-key</button> <button type="button" data-act="delete">Delete</button></td></tr>`;
}

/** @param {EnrollmentTokenView} t */
function tokenRow(t) {
  const revoke = t.state === 'pending' ? `<button type="button" data-revoke="${esc(t.id)}">Revoke</button>` : '';
  return `<tr data-token="${esc(t.id)}" data-state="${esc(t.state)}"><td>${esc(t.device)}</td><td>${esc(t.line)}</td>
    <td>${esc(t.state)}</td><td>${esc(new Date(t.expiresAt).toLocaleString())}</td><td>${esc(t.createdBy)}</td>
    <td>${revoke}</td></tr>`;
}

const FORM = `<section id="devices-page"><h2>Devices</h2>
  <form id="enroll-form" class="inline-form"><strong>Enroll a device</strong>
    <label>Line <input name="line" required pattern="[a-z0-9][a-z0-9_\\-]{0,62}" placeholder="line-1"></label>
    <label>Device id <input name="device" required pattern="[a-z0-9][a-z0-9_\\-]{0,62}" placeholder="press-7-cam"></label>
    <label>Name <input name="name" maxlength="128" placeholder="Press 7 camera box"></label>
    <label>Valid for (minutes) <input name="expires" type="number" min="1" max="43200" value="1440" required></label>
    <button type="submit">Create enrollment token</button></form>
  <div id="secret" class="secret" hidden></div>
  <table id="devices"><thead><tr><th>Device</th><th>Name</th><th>Line</th><th>State</th><th>Model</th>
    <th>Last seen</th><th></th></tr></thead><tbody></tbody></table>
  <h3>Enrollment tokens</h3>
  <table id="tokens"><thead><tr><th>Device</th><th>Line</th><th>State</th><th>Expires</th><th>Created by</th><th></th>
    </tr></thead><tbody></tbody></table></section>`;

/**
 * Shows a secret once, with what to do with it; it is not kept anywhere in the page after the next render.
 * @param {HTMLElement} main
 * @param {string} title
 * @param {string} body
 */
function showSecret(main, title, body) {
  const box = find(main, '#secret', HTMLElement);
  box.hidden = false;
  box.innerHTML = `<strong>${esc(title)}</strong> <span class="hint">shown once: copy it now</span><pre>${body}</pre>`;
}

/**
 * @param {HTMLElement} main
 * @param {UserView | null} me
 */
export async function renderDevices(main, me) {
  if (me?.role !== 'admin') {
    main.innerHTML = '<p class="error">Devices are managed by admins.</p>';
    return;
  }
  main.innerHTML = FORM;
  const load = async () => {
    /** @type {Promise<{ devices: DeviceView[] }>} */
    const d = api('GET', '/api/devices');
    /** @type {Promise<{ devices: FleetEntry[] }>} */
    const f = api('GET', '/api/fleet');
    /** @type {Promise<{ tokens: EnrollmentTokenView[] }>} */
    const t = api('GET', '/api/enrollment-tokens');
    const [devices, fleet, tokens] = await Promise.all([d, f, t]);
    const byId = new Map(fleet.devices.map((f) => [f.deviceId, f]));
    find(main, '#devices tbody', HTMLElement).innerHTML =
      devices.devices.map((d) => deviceRow(d, byId.get(d.id))).join('') ||
      '<tr><td colspan="7">No devices yet: create an enrollment token above.</td></tr>';
    find(main, '#tokens tbody', HTMLElement).innerHTML =
      tokens.tokens.map(tokenRow).join('') || '<tr><td colspan="6">No enrollment tokens.</td></tr>';
  };
  wireEnroll(main, load);
  wireActions(main, load);
  await load();
}

/**
 * @param {HTMLElement} main
 * @param {() => Promise<void>} reload
 */
function wireEnroll(main, reload) {
  const form = find(main, '#enroll-form', HTMLFormElement);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const name = String(fd.get('name') ?? '').trim();
    try {
      /** @type {CreatedEnrollmentToken} */
      const t = await api('POST', '/api/enrollment-tokens', {
        line: fd.get('line'),
        device: fd.get('device'),
        ...(name && { name }),
        expiresInMinutes: Number(fd.get('expires')),
      });
      const cmd = `linewatch-agent enroll --controller ${location.origin} --token ${t.token}`;
      showSecret(
        main,
        `Enrollment token for ${t.enrollment.device} on ${t.enrollment.line}`,
        `<code id="enroll-token">${esc(t.token)}</code>\n\nOn the device:\n<code id="enroll-command">${esc(cmd)}</code>`,
      );
      form.reset();
      await reload();
    } catch (e) {
      toast(`${errorParts(e).code ?? 'error'}: ${errorParts(e).message}`, true);
    }
  });
}

/**
 * @param {HTMLElement} main
 * @param {() => Promise<void>} reload
 */
function wireActions(main, reload) {
  // On the page's own element: `main` outlives the page, and a listener there would pile up on every visit.
  find(main, '#devices-page', HTMLElement).addEventListener('click', async (ev) => {
    const btn = ev.target instanceof HTMLButtonElement ? ev.target : null;
    if (!btn) return;
    const revoke = btn.dataset.revoke;
    const id = btn.closest('tr')?.dataset.device;
    const act = btn.dataset.act;
    try {
      if (revoke) {
        await api('POST', `/api/enrollment-tokens/${encodeURIComponent(revoke)}/revoke`);
        toast('Token revoked');
      } else if (id && act) {
        await deviceAction(main, id, act);
      } else return;
      await reload();
    } catch (e) {
      toast(`${errorParts(e).code ?? 'error'}: ${errorParts(e).message}`, true);
    }
  });
}

/**
 * @param {HTMLElement} main
 * @param {string} id
 * @param {string} act
 */
async function deviceAction(main, id, act) {
  const url = `/api/devices/${encodeURIComponent(id)}`;
  if (act === 'delete') {
    if (!confirm(`Delete ${id}? Its reviewed events stay; the device can no longer connect.`)) return;
    await api('DELETE', url);
    toast(`${id} deleted`);
  } else if (act === 'rekey') {
    if (!confirm(`Re-key ${id}? Its current credentials stop working at once.`)) return;
    /** @type {DeviceCredentials} */
    const c = await api('POST', `${url}/rekey`);
    showSecret(
      main,
      `New MQTT credentials for ${id}`,
      `username <code>${esc(c.credentials.username)}</code>\npassword <code id="rekey-password">${esc(c.credentials.password)}</code>`,
    );
  } else {
    await api('POST', `${url}/${act}`);
    toast(`${id} ${act}d`);
  }
}
