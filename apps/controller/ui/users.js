// Users page (admins): create QA users (or admins), set role and line scope, reset a password (one-time: the user
// must change it at the next sign-in). Passwords typed here are sent once and never shown again.
import { api, find, toast, errorParts } from './api.js';
/** @import { UserView } from '@linewatch/protocol/http' */

/** @param {unknown} s */
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** @param {string} s */
const lineList = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** @param {'qa' | 'admin'} role */
const roleSelect = (role) =>
  `<select name="role"><option value="qa"${role === 'qa' ? ' selected' : ''}>qa</option>` +
  `<option value="admin"${role === 'admin' ? ' selected' : ''}>admin</option></select>`;

/** @param {UserView} u */
function userRow(u) {
  const flag = u.mustChangePassword ? '<span class="hint">must change password</span>' : '';
  return `<tr data-user="${esc(u.id)}" data-username="${esc(u.username)}"><td>${esc(u.username)} ${flag}</td>
    <td>${roleSelect(u.role)}</td><td><input name="lines" value="${esc(u.lines.join(', '))}" placeholder="line-1, line-2"></td>
    <td><button type="button" data-act="save">Save</button></td>
    <td><input name="reset" type="password" minlength="12" autocomplete="new-password" placeholder="new one-time password">
    <button type="button" data-act="reset">Reset password</button></td></tr>`;
}

const PAGE = `<section id="users-page"><h2>Users</h2>
  <form id="user-form" class="inline-form"><strong>New user</strong>
    <label>Username <input name="username" required pattern="[a-zA-Z0-9_.\\-]{1,64}"></label>
    <label>Password <input name="password" type="password" required minlength="12" autocomplete="new-password"></label>
    <label>Role ${roleSelect('qa')}</label>
    <label>Lines <input name="lines" placeholder="line-1, line-2"></label>
    <button type="submit">Create user</button></form>
  <table id="users"><thead><tr><th>User</th><th>Role</th><th>Lines (QA)</th><th></th><th>Password</th></tr></thead>
  <tbody></tbody></table></section>`;

/**
 * @param {HTMLElement} main
 * @param {UserView | null} me
 */
export async function renderUsers(main, me) {
  if (me?.role !== 'admin') {
    main.innerHTML = '<p class="error">Users are managed by admins.</p>';
    return;
  }
  main.innerHTML = PAGE;
  const load = async () => {
    /** @type {{ users: UserView[] }} */
    const { users } = await api('GET', '/api/users');
    find(main, '#users tbody', HTMLElement).innerHTML = users.map(userRow).join('');
  };
  const form = find(main, '#user-form', HTMLFormElement);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    await report(async () => {
      await api('POST', '/api/users', {
        username: fd.get('username'),
        password: fd.get('password'),
        role: fd.get('role'),
        lines: lineList(String(fd.get('lines') ?? '')),
      });
      toast(`User ${fd.get('username')} created`);
      form.reset();
      await load();
    });
  });
  // On the page's own element: `main` outlives the page, and a listener there would pile up on every visit.
  find(main, '#users-page', HTMLElement).addEventListener('click', (ev) => {
    const btn = ev.target instanceof HTMLButtonElement ? ev.target : null;
    const row = btn?.closest('tr');
    if (!btn?.dataset.act || !row?.dataset.user) return;
    void report(() => userAction(row, btn.dataset.act ?? '', load));
  });
  await load();
}

/**
 * @param {HTMLTableRowElement} row
 * @param {string} act
 * @param {() => Promise<void>} reload
 */
async function userAction(row, act, reload) {
  const url = `/api/users/${encodeURIComponent(row.dataset.user ?? '')}`;
  if (act === 'save') {
    const role = find(row, 'select[name=role]', HTMLSelectElement).value;
    const lines = lineList(find(row, 'input[name=lines]', HTMLInputElement).value);
    await api('PATCH', url, { role, lines });
    toast(`${row.dataset.username} saved`);
  } else if (act === 'reset') {
    const password = find(row, 'input[name=reset]', HTMLInputElement).value;
    await api('POST', `${url}/password`, { password });
    toast(`${row.dataset.username}: one-time password set (to be changed at next sign-in)`);
  }
  await reload();
}

/** @param {() => Promise<void>} fn */
async function report(fn) {
  try {
    await fn();
  } catch (e) {
    const { code, message } = errorParts(e);
    toast(`${code ?? 'error'}: ${message}`, true);
  }
}
