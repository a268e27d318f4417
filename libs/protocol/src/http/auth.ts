/** Login, logout, session and user administration routes. */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Role, Slug, errorResponses } from './common.js';

export const UserView = Type.Object({
  id: Id,
  username: Type.String(),
  role: Role,
  lines: Type.Array(Type.String()),
  /** A one-time password (bootstrap or reset) is in use: only session, logout and password change are allowed. */
  mustChangePassword: Type.Boolean(),
});
export type UserView = Static<typeof UserView>;

export const SessionView = Type.Object({ user: UserView, csrfToken: Type.String() });
export type SessionView = Static<typeof SessionView>;

export const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const LoginRoute = {
  method: 'POST',
  url: '/api/auth/login',
  schema: { tags: ['auth'], body: LoginBody, response: { 200: SessionView, ...errorResponses } },
} as const;

export const LogoutRoute = {
  method: 'POST',
  url: '/api/auth/logout',
  schema: { tags: ['auth'], response: { 204: Type.Null(), ...errorResponses } },
} as const;

export const SessionRoute = {
  method: 'GET',
  url: '/api/auth/session',
  schema: { tags: ['auth'], response: { 200: SessionView, ...errorResponses } },
} as const;

export const CreateUserBody = Type.Object(
  {
    username: Type.String({ pattern: '^[a-zA-Z0-9_.-]{1,64}$' }),
    password: Type.String({ minLength: 12, maxLength: 256 }),
    role: Role,
    lines: Type.Array(Slug, { maxItems: 1000, default: [] }),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const CreateUserRoute = {
  method: 'POST',
  url: '/api/users',
  schema: { tags: ['users'], body: CreateUserBody, response: { 201: UserView, ...errorResponses } },
} as const;

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
    newPassword: Type.String({ minLength: 12, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

/** Changes the signed-in user's password and ends their other sessions (e.g. after the bootstrap password). */
export const ChangePasswordRoute = {
  method: 'POST',
  url: '/api/auth/password',
  schema: { tags: ['auth'], body: ChangePasswordBody, response: { 204: Type.Null(), ...errorResponses } },
} as const;
