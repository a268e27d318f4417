/** Label statistics: how far review has got, per line (only lines visible to the caller). */
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses } from './common.js';

/** One defect class of a line: confirmations naming it and saved masks painting it. */
export const ClassLabelStats = Type.Object({
  classId: Type.String(),
  name: Type.String(),
  color: Type.String(),
  confirmations: Type.Integer({ minimum: 0 }),
  masks: Type.Integer({ minimum: 0 }),
});
export type ClassLabelStats = Static<typeof ClassLabelStats>;

export const LineLabelStats = Type.Object({
  line: Type.String(),
  pending: Type.Integer({ minimum: 0 }),
  confirmed: Type.Integer({ minimum: 0 }),
  rejected: Type.Integer({ minimum: 0 }),
  /** Confirmed events whose confirmation names no class (their masks may still paint classes). */
  unclassified: Type.Integer({ minimum: 0 }),
  /** Every class of the line, in palette order (zeros included). */
  classes: Type.Array(ClassLabelStats),
});
export type LineLabelStats = Static<typeof LineLabelStats>;

export const LabelStatsRoute = {
  method: 'GET',
  url: '/api/stats/labels',
  schema: {
    tags: ['labels'],
    response: { 200: Type.Object({ lines: Type.Array(LineLabelStats) }), ...errorResponses },
  },
} as const;
