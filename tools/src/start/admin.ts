/**
 * The bootstrap admin's session for `npm start`'s setup calls (provisioning, model registration, rollout pace).
 *
 * A controller that makes the generated admin password one-time answers LW_CTRL_PASSWORD_CHANGE_REQUIRED to every
 * call but session, logout and password change. The demo still sets itself up without the user's help, and the user
 * still gets a one-time password to replace at their first sign-in: sign in, change the password to a throw-away
 * secret, do the setup with that, then reset the admin (admin route) to a fresh one-time password for the user.
 * A controller whose admin password is not one-time is used as it is.
 */
import { randomBytes } from 'node:crypto';
import { ApiClient } from '@linewatch/protocol/client';
import { ChangePasswordRoute, ResetPasswordRoute, SessionRoute } from '@linewatch/protocol/http';

export interface SetupSession {
  readonly api: ApiClient;
  /** After the setup: the user's new one-time password, or undefined when the original one is still in force. */
  finish(): Promise<string | undefined>;
}

async function step<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw new Error(`${what} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** `remember` keeps each password that signs the admin in, so an interrupted first start can resume. */
export async function setupSession(
  base: string,
  password: string,
  remember: (password: string) => void,
): Promise<SetupSession> {
  const first = await step('admin login', () => ApiClient.login({ baseUrl: base }, 'admin', password));
  const { user } = await step('reading the admin session', () => first.call(SessionRoute));
  if (!user.mustChangePassword) return { api: first, finish: () => Promise.resolve(undefined) };
  const throwAway = randomBytes(24).toString('base64url');
  await step('replacing the one-time password for the setup', () =>
    first.call(ChangePasswordRoute, { body: { currentPassword: password, newPassword: throwAway } }),
  );
  remember(throwAway);
  const api = await step('admin login', () => ApiClient.login({ baseUrl: base }, 'admin', throwAway));
  return {
    api,
    async finish() {
      const fresh = randomBytes(12).toString('base64url');
      await step('handing the admin a one-time password', () =>
        api.call(ResetPasswordRoute, { params: { id: user.id }, body: { password: fresh } }),
      );
      remember(fresh);
      return fresh;
    },
  };
}
