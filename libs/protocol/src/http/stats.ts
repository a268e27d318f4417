/** Label statistics: how far review has got, per line (only lines visible to the caller). */
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses } from './common.js';

export const LineLabelStats = Type.Object({
  line: Type.String(),
  pending: Type.Integer({ minimum: 0 }),
  confirmed: Type.Integer({ minimum: 0 }),
  rejected: Type.Integer({ minimum: 0 }),
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
