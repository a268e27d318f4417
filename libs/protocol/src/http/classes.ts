/**
 * Defect classes: each line's taxonomy (name, colour, shortcut key), edited by admins, read by every user who sees
 * the line. In indexed-colour mask PNGs a class is its `paletteIndex` (0 = background, 255 = a stroke painted
 * without a class); a confirmation names a class by id (or none: unclassified).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, IdParams, IsoDate, Slug, errorResponses } from './common.js';

/** Palette index of a mask stroke painted without a class. */
export const UNCLASSIFIED_PALETTE_INDEX = 255;

export const ClassName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f]+$' });
/** '#rrggbb'; not a grey, not pure red (the painter's background and unclassified colours), not too dark. */
export const ClassColor = Type.String({ pattern: '^#[0-9a-fA-F]{6}$' });
/**
 * The review page's shortcut: one digit 1–9 (letters are the review actions' and tools' keys, 0 resets the zoom),
 * or null for none.
 */
export const ClassKey = Type.Union([Type.String({ pattern: '^[1-9]$' }), Type.Null()]);

export const DefectClassView = Type.Object({
  id: Id,
  line: Type.String(),
  name: Type.String(),
  color: Type.String(),
  key: Type.Union([Type.String(), Type.Null()]),
  paletteIndex: Type.Integer({ minimum: 1, maximum: 254 }),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type DefectClassView = Static<typeof DefectClassView>;

export const ListClassesQuery = Type.Object(
  { line: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);
export type ListClassesQuery = Static<typeof ListClassesQuery>;

/** Signed in: the classes of one line, or of every line the user sees (line, then palette order). */
export const ListClassesRoute = {
  method: 'GET',
  url: '/api/classes',
  schema: {
    tags: ['classes'],
    querystring: ListClassesQuery,
    response: { 200: Type.Object({ classes: Type.Array(DefectClassView) }), ...errorResponses },
  },
} as const;

export const CreateClassBody = Type.Object(
  { line: Slug, name: ClassName, color: ClassColor, key: Type.Optional(ClassKey) },
  { additionalProperties: false },
);
export type CreateClassBody = Static<typeof CreateClassBody>;

/** Admin: a new class on a line, with the lowest free palette index. */
export const CreateClassRoute = {
  method: 'POST',
  url: '/api/classes',
  schema: { tags: ['classes'], body: CreateClassBody, response: { 200: DefectClassView, ...errorResponses } },
} as const;

export const UpdateClassBody = Type.Object(
  { name: Type.Optional(ClassName), color: Type.Optional(ClassColor), key: Type.Optional(ClassKey) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateClassBody = Static<typeof UpdateClassBody>;

/** Admin: rename, recolour or re-key a class (its palette index and line never change). */
export const UpdateClassRoute = {
  method: 'PATCH',
  url: '/api/classes/:id',
  schema: {
    tags: ['classes'],
    params: IdParams,
    body: UpdateClassBody,
    response: { 200: DefectClassView, ...errorResponses },
  },
} as const;

/** Admin: delete a class no confirmation names and no saved mask paints (409 LW_CTRL_CLASS_IN_USE otherwise). */
export const DeleteClassRoute = {
  method: 'DELETE',
  url: '/api/classes/:id',
  schema: { tags: ['classes'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
} as const;

/** Body of POST /api/events/:id/confirm (optional): the class the confirmation names; null or absent = none. */
export const LabelBody = Type.Union([
  Type.Object({ defectClassId: Type.Optional(Type.Union([Id, Type.Null()])) }, { additionalProperties: false }),
  Type.Null(),
]);
export type LabelBody = Static<typeof LabelBody>;
