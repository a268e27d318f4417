/**
 * User administration by admins (creation is CreateUserRoute in auth.ts): list, change role and line scope, reset a
 * password. A reset password is one-time: its user must change it at the next sign-in (`mustChangePassword`), and
 * until then every route but session, logout and POST /api/auth/password answers 403
 * `LW_CTRL_PASSWORD_CHANGE_REQUIRED` — the same holds for the bootstrap admin's generated password.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IdParams, Role, Slug, errorResponses } from './common.js';
import { UserView } from './auth.js';

export const ListUsersRoute = {
  method: 'GET',
  url: '/api/users',
  schema: { tags: ['users'], response: { 200: Type.Object({ users: Type.Array(UserView) }), ...errorResponses } },
} as const;

export const UpdateUserBody = Type.Object(
  { role: Type.Optional(Role), lines: Type.Optional(Type.Array(Slug, { maxItems: 1000 })) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

/** Admin: role and/or visible lines. An admin cannot demote themself (409 LW_CTRL_CONFLICT: no admin left behind). */
export const UpdateUserRoute = {
  method: 'PATCH',
  url: '/api/users/:id',
  schema: { tags: ['users'], params: IdParams, body: UpdateUserBody, response: { 200: UserView, ...errorResponses } },
} as const;

export const ResetPasswordBody = Type.Object(
  { password: Type.String({ minLength: 12, maxLength: 256 }) },
  { additionalProperties: false },
);
export type ResetPasswordBody = Static<typeof ResetPasswordBody>;

/** Admin: sets a one-time password (the user must change it at next sign-in) and ends the user's sessions. */
export const ResetPasswordRoute = {
  method: 'POST',
  url: '/api/users/:id/password',
  schema: {
    tags: ['users'],
    params: IdParams,
    body: ResetPasswordBody,
    response: { 200: UserView, ...errorResponses },
  },
} as const;
