/** Enrollment token rows as admins see them, and the state a row is in at a given time. */
import type { EnrollmentState, EnrollmentTokenView } from '@linewatch/protocol/http';
import type { EnrollmentRow } from '../store/types.js';

export function enrollmentState(r: EnrollmentRow, now: Date): EnrollmentState {
  if (r.usedAt) return 'used';
  if (r.revokedAt) return 'revoked';
  return r.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
}

export const enrollmentView = (r: EnrollmentRow, now: Date): EnrollmentTokenView => ({
  id: r.id,
  line: r.line,
  site: r.site,
  device: r.device,
  name: r.name,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt.toISOString(),
  createdBy: r.createdBy,
  state: enrollmentState(r, now),
  usedAt: r.usedAt?.toISOString() ?? null,
  revokedAt: r.revokedAt?.toISOString() ?? null,
});
