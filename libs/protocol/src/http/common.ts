/** Shapes shared by several HTTP routes. */
import { Type, type Static } from '@sinclair/typebox';

/** Every error response: a stable code (LW_CTRL_*) and a human-readable message. */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() }, { $id: 'ErrorBody' });
export type ErrorBody = Static<typeof ErrorBody>;

export const Role = Type.Union([Type.Literal('qa'), Type.Literal('admin')]);
export type Role = Static<typeof Role>;

export const LabelStatus = Type.Union([Type.Literal('pending'), Type.Literal('confirmed'), Type.Literal('rejected')]);
export type LabelStatus = Static<typeof LabelStatus>;

/** Identifiers that appear in MQTT topic levels: no '/', '+', '#'. */
export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' });
export const Id = Type.String({ minLength: 1, maxLength: 128 });
export const IsoDate = Type.String({ format: 'date-time' });

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
};
