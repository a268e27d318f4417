// Own password change. Forced (the only page shown) while the signed-in user holds a one-time password — the
// bootstrap admin's or one an admin reset — because the API refuses everything else until then.
import { api, find, toast, errorParts } from './api.js';
/** @import { UserView } from '@linewatch/protocol/http' */

/**
 * @param {HTMLElement} main
 * @param {UserView | null} me
 * @param {() => Promise<void>} onChanged called after the change (reloads the session)
 */
export function renderPassword(main, me, onChanged) {
  const forced = me?.mustChangePassword === true;
  main.innerHTML = `<form class="login" id="password-form"><h2>Change password</h2>
    ${forced ? '<p class="hint" id="password-forced">Your password is a one-time password: choose your own to continue.</p>' : ''}
    <label>Current password <input name="current" type="password" autocomplete="current-password" required></label>
    <label>New password (12+ characters)
      <input name="next" type="password" autocomplete="new-password" minlength="12" required></label>
    <label>Repeat new password <input name="again" type="password" autocomplete="new-password" minlength="12" required></label>
    <button type="submit">Change password</button><p class="error" id="password-error"></p></form>`;
  const form = find(main, '#password-form', HTMLFormElement);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const error = find(main, '#password-error', HTMLElement);
    if (fd.get('next') !== fd.get('again')) {
      error.textContent = 'The two new passwords differ.';
      return;
    }
    try {
      await api('POST', '/api/auth/password', { currentPassword: fd.get('current'), newPassword: fd.get('next') });
      toast('Password changed');
      await onChanged();
    } catch (e) {
      const { code, message } = errorParts(e);
      error.textContent = `${code ?? 'error'}: ${message}`;
    }
  });
}
