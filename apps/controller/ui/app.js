// Hash router: #/login, #/queue?<filters>, #/event/<id>. Session state lives in the HTTP-only cookie; the CSRF
// token comes from /api/auth/session and is kept in memory only.
import { api, setCsrf, toast, ApiError, byId, errorParts } from './api.js';
import { renderQueue } from './queue.js';
import { renderEvent } from './event.js';
import { renderFleet } from './fleet.js';
import { renderCalibration } from './calibration.js';
import { renderJobs } from './jobs.js';
import { renderModels, renderRollout } from './models.js';
import { renderDevices } from './devices.js';
import { renderUsers } from './users.js';
import { renderClasses } from './classes-admin.js';
import { renderPassword } from './password.js';
import { renderLabels } from './labels.js';
/** @import { SessionView, UserView } from '@linewatch/protocol/http' */

const main = byId('main', HTMLElement);
/** @type {UserView | null} */
let me = null;

async function loadSession() {
  try {
    /** @type {SessionView} */
    const s = await api('GET', '/api/auth/session');
    setCsrf(s.csrfToken);
    me = s.user;
  } catch {
    me = null;
  }
  byId('who', HTMLElement).textContent = me ? `${me.username} (${me.role})` : '';
  for (const a of document.querySelectorAll('nav .admin'))
    if (a instanceof HTMLElement) a.hidden = me?.role !== 'admin';
  byId('logout', HTMLElement).hidden = !me;
}

/** @param {HTMLElement} view */
function renderLogin(view) {
  view.innerHTML = `<form class="login" id="login-form">
      <h2>Sign in</h2>
      <label>Username <input name="username" autocomplete="username" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button><p class="error" id="login-error"></p></form>`;
  const form = byId('login-form', HTMLFormElement);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    try {
      /** @type {SessionView} */
      const s = await api('POST', '/api/auth/login', { username: fd.get('username'), password: fd.get('password') });
      setCsrf(s.csrfToken);
      await loadSession();
      location.hash = me?.mustChangePassword ? '#/password' : '#/queue';
    } catch (e) {
      byId('login-error', HTMLElement).textContent = errorParts(e).message;
    }
  });
}

/** Bumped by every navigation: a page still loading for an earlier hash must not touch the current one. */
let generation = 0;

async function route() {
  const gen = ++generation;
  // Each navigation renders into its own element: a slower, earlier render fills a detached element, not this page.
  const view = document.createElement('div');
  main.replaceChildren(view);
  const hash = location.hash || '#/queue';
  if (!me && hash !== '#/login') {
    location.hash = '#/login';
    return;
  }
  // A one-time password: the API refuses everything but the change, so the change form is all there is.
  if (me?.mustChangePassword && hash !== '#/login') return renderPassword(view, me, passwordChanged);
  try {
    if (hash === '#/login') renderLogin(view);
    else if (hash === '#/password') renderPassword(view, me, passwordChanged);
    else if (hash === '#/devices') await renderDevices(view, me);
    else if (hash === '#/users') await renderUsers(view, me);
    else if (hash === '#/classes') await renderClasses(view, me);
    else if (hash === '#/labels') await renderLabels(view, me);
    else if (hash === '#/fleet') await renderFleet(view);
    else if (hash.startsWith('#/calibration'))
      await renderCalibration(view, me, decodeURIComponent(hash.slice('#/calibration/'.length)) || undefined);
    else if (hash === '#/jobs') await renderJobs(view, me);
    else if (hash === '#/models') await renderModels(view, me);
    else if (hash.startsWith('#/rollout/'))
      await renderRollout(view, me, decodeURIComponent(hash.slice('#/rollout/'.length)));
    else if (hash.startsWith('#/event/')) await renderEvent(view, decodeURIComponent(hash.slice('#/event/'.length)));
    else await renderQueue(view, new URLSearchParams(hash.split('?')[1] ?? ''));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      me = null;
      location.hash = '#/login';
      return;
    }
    if (gen !== generation) return;
    view.innerHTML = '';
    const p = document.createElement('p');
    p.className = 'error';
    const { code, message } = errorParts(e);
    p.textContent = `${code ?? 'error'}: ${message}`;
    view.append(p);
  }
}

byId('logout', HTMLElement).addEventListener('click', async () => {
  await api('POST', '/api/auth/logout').catch(() => {});
  await loadSession();
  toast('Signed out');
  location.hash = '#/login';
});

async function passwordChanged() {
  await loadSession();
  if (location.hash === '#/queue') await route();
  else location.hash = '#/queue';
}

window.addEventListener('hashchange', route);
await loadSession();
await route();
