// Drift and camera-fault alerts for the Fleet page (issue #20): which camera, what, since when, by how much, and
// what to do (recalibrate / retrain / check the camera), with a link to the camera's calibration.
import { api } from './api.js';
/** @import { DriftAlertView } from '@linewatch/protocol/http' */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const WHAT = {
  'score-drift': 'score distribution drifted',
  frozen: 'frozen frames',
  black: 'black frames',
  saturated: 'over-exposed frames',
};

/** @param {DriftAlertView} a */
function magnitude(a) {
  if (a.kind !== 'score-drift') return `${Math.round(a.magnitude * 100)} % of frames`;
  const shift =
    a.medianShift === null ? '' : `, median ${a.medianShift >= 0 ? '+' : ''}${Math.round(a.medianShift * 100)} %`;
  return `PSI ${a.magnitude.toFixed(2)}${shift}`;
}

/** @param {HTMLElement} el */
export async function renderDriftAlerts(el) {
  /** @type {{ alerts: DriftAlertView[] }} */
  const { alerts } = await api('GET', '/api/drift/alerts');
  el.hidden = alerts.length === 0;
  el.innerHTML = alerts
    .map((a) => {
      const cam = `#/calibration/${encodeURIComponent(a.deviceId)}/${encodeURIComponent(a.camera)}`;
      return `<p class="error drift-alert" data-kind="${esc(a.kind)}"><strong><a href="${cam}">${esc(a.deviceId)} / ${esc(a.camera)}</a></strong>:
        ${esc(WHAT[a.kind])} since ${esc(new Date(a.startedAt).toLocaleString())} (${esc(magnitude(a))}) — ${esc(a.suggestion)}</p>`;
    })
    .join('');
}
