// Hash router: #/login, #/queue?<filters>, #/event/<id>. Session state lives in the HTTP-only cookie; the CSRF
// token comes from /api/auth/session and is kept in memory only.
import { api, setCsrf, toast, ApiError, byId, errorParts } from './api.js';
import { renderQueue } from './queue.js';
import { renderEvent } from './event.js';
import { renderFleet } from './fleet.js';
import { renderJobs } from './jobs.js';
import { renderModels, renderRollout } from './models.js';
import { renderDevices } from './devices.js';
import { renderUsers } from './users.js';
import { renderPassword } from './password.js';
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

function renderLogin() {
  main.innerHTML = `<form class="login" id="login-form">
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

async function route() {
  const hash = location.hash || '#/queue';
  if (!me && hash !== '#/login') {
    location.hash = '#/login';
    return;
  }
  // A one-time password: the API refuses everything but the change, so the change form is all there is.
  if (me?.mustChangePassword && hash !== '#/login') return renderPassword(main, me, passwordChanged);
  try {
    if (hash === '#/login') renderLogin();
    else if (hash === '#/password') renderPassword(main, me, passwordChanged);
    else if (hash === '#/devices') await renderDevices(main, me);
    else if (hash === '#/users') await renderUsers(main, me);
    else if (hash === '#/fleet') await renderFleet(main);
    else if (hash === '#/jobs') await renderJobs(main, me);
    else if (hash === '#/models') await renderModels(main, me);
    else if (hash.startsWith('#/rollout/'))
      await renderRollout(main, me, decodeURIComponent(hash.slice('#/rollout/'.length)));
    else if (hash.startsWith('#/event/')) await renderEvent(main, decodeURIComponent(hash.slice('#/event/'.length)));
    else await renderQueue(main, new URLSearchParams(hash.split('?')[1] ?? ''));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      me = null;
      location.hash = '#/login';
      return;
    }
    main.innerHTML = '';
    const p = document.createElement('p');
    p.className = 'error';
    const { code, message } = errorParts(e);
    p.textContent = `${code ?? 'error'}: ${message}`;
    main.append(p);
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
