/**
 * The row types of the core areas (users, sessions, devices, events, scores, fleet), as callers see them: JSON
 * columns parsed, string columns narrowed to their unions. The Store itself is in store.ts.
 */

export type Role = 'qa' | 'admin';
export type LabelStatus = 'pending' | 'confirmed' | 'rejected';

export interface DeviceRow {
  id: string;
  name: string;
  site: string;
  line: string;
  credentialHash: string;
  createdAt: Date;
  disabledAt: Date | null;
}

export interface UserRow {
  id: string;
  username: string;
  passwordHash: string;
  role: Role;
  /** Lines a QA user may see; ignored for admins (who see all). */
  lines: string[];
  createdAt: Date;
  /** A one-time password (bootstrap admin, admin reset) is in use: it must be changed before anything else. */
  mustChangePassword: boolean;
}

/** A user to create: a password set by its owner unless `mustChangePassword`. */
export type NewUser = Omit<UserRow, 'mustChangePassword'> & { mustChangePassword?: boolean };

/** A one-time device enrollment token (hash only), bound to a line and a device id. */
export interface EnrollmentRow {
  id: string;
  tokenHash: string;
  line: string;
  site: string;
  device: string;
  name: string;
  createdAt: Date;
  expiresAt: Date;
  createdBy: string;
  usedAt: Date | null;
  /** Hostname the agent reported when it enrolled. */
  usedBy: string | null;
  revokedAt: Date | null;
}

export interface SessionRow {
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface EventRow {
  id: string;
  deviceId: string;
  sequence: number;
  line: string;
  camera: string;
  ts: Date;
  modelVersion: string;
  score: number;
  threshold: number;
  frameRef: string;
  mapRef: string;
  frameWidth: number;
  frameHeight: number;
  receivedAt: Date;
  labelStatus: LabelStatus;
  reviewerId: string | null;
  reviewedAt: Date | null;
  /** The defect class the confirmation names (null: unclassified, or not confirmed). */
  defectClassId: string | null;
}

export type NewEvent = Omit<EventRow, 'labelStatus' | 'reviewerId' | 'reviewedAt' | 'defectClassId'>;

/** A class a saved mask's strokes use, with its pixel count. */
export interface MaskClassRow {
  classId: string;
  pixels: number;
}

export interface MaskRow {
  eventId: string;
  ref: string;
  width: number;
  height: number;
  authorId: string;
  createdAt: Date;
}

export interface ScoreAggregateRow {
  deviceId: string;
  camera: string;
  /** Start of the UTC minute. */
  minute: Date;
  count: number;
  sum: number;
  max: number;
  flagged: number;
}

export interface FleetRow {
  deviceId: string;
  online: boolean;
  /** bdSeq of the last birth; a death carrying another value is stale and ignored. */
  bdSeq: number | null;
  lastSeen: Date;
  agentVersion: string | null;
  modelVersion: string | null;
  status: unknown;
  health: unknown;
  updatedAt: Date;
}

export type FleetPatch = Partial<Omit<FleetRow, 'deviceId' | 'updatedAt'>> & { lastSeen: Date };

export interface EventFilter {
  /** Restrict to these lines (visibility); undefined = all lines. */
  visibleLines?: string[];
  line?: string;
  camera?: string;
  deviceId?: string;
  modelVersion?: string;
  minScore?: number;
  maxScore?: number;
  status?: LabelStatus;
  /**
   * A defect class id: events whose confirmation names it or whose mask paints it. null: confirmed events with
   * neither (unclassified).
   */
  defectClass?: string | null;
  /** Keyset pagination: events strictly older than this (ts, id) pair. */
  before?: { ts: Date; id: string };
  limit: number;
}

/** A labelled review event of a line, or a normal sample ('sampled'), as the snapshot builder needs it. */
export interface LabelledEvent {
  id: string;
  line: string;
  camera: string;
  labelStatus: 'confirmed' | 'rejected' | 'sampled';
  frameRef: string;
  frameWidth: number;
  frameHeight: number;
  maskRef: string | null;
  /** The confirmation's class name, else the mask's class with the most pixels; null/absent: none. */
  defectClass?: string | null;
}
