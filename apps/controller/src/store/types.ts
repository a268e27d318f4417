/**
 * The storage interface the rest of the controller sees. One implementation (prisma-store.ts) serves both SQLite
 * and PostgreSQL; the conformance suite runs the same tests against both.
 */
import type { PrismaClient } from '../generated/sqlite/client.js';

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
}

export type NewEvent = Omit<EventRow, 'labelStatus' | 'reviewerId' | 'reviewedAt'>;

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
  /** Keyset pagination: events strictly older than this (ts, id) pair. */
  before?: { ts: Date; id: string };
  limit: number;
}

export interface Store {
  readonly provider: 'sqlite' | 'postgresql';
  /** The shared prisma client, for the per-area store modules (e.g. jobs-store.ts) built on the same connection. */
  readonly prisma: PrismaClient;

  createUser(u: UserRow): Promise<void>;
  findUserByName(username: string): Promise<UserRow | null>;
  findUser(id: string): Promise<UserRow | null>;
  countUsers(): Promise<number>;
  updatePassword(userId: string, passwordHash: string): Promise<void>;

  createSession(s: SessionRow): Promise<void>;
  findSession(id: string): Promise<SessionRow | null>;
  deleteSession(id: string): Promise<void>;
  deleteExpiredSessions(now: Date): Promise<number>;
  /** Ends every session of the user except `keepId`. */
  deleteUserSessions(userId: string, keepId?: string): Promise<number>;

  createDevice(d: DeviceRow): Promise<void>;
  findDevice(id: string): Promise<DeviceRow | null>;
  /** Returns the updated row, or null when the device does not exist. */
  disableDevice(id: string, at: Date): Promise<DeviceRow | null>;
  listDevices(visibleLines?: string[]): Promise<DeviceRow[]>;

  /** Inserts once per (deviceId, sequence); a redelivery returns the stored row with created=false. */
  insertEventOnce(e: NewEvent): Promise<{ created: boolean; event: EventRow }>;
  getEvent(id: string): Promise<EventRow | null>;
  listEvents(f: EventFilter): Promise<EventRow[]>;
  /** Returns the updated row, or null when the event does not exist. */
  labelEvent(id: string, status: LabelStatus, reviewerId: string, at: Date): Promise<EventRow | null>;
  saveMask(m: MaskRow): Promise<void>;
  getMask(eventId: string): Promise<MaskRow | null>;
  /** Which of these events have a mask. */
  eventsWithMasks(eventIds: string[]): Promise<Set<string>>;
  /** Event counts per line and label status (lines and statuses without events are absent), sorted by line. */
  labelStats(visibleLines?: string[]): Promise<Array<{ line: string; status: LabelStatus; count: number }>>;

  /** Adds the rows onto what is stored for the same (device, camera, minute): counts and sums add, max takes max. */
  addScoreAggregates(rows: ScoreAggregateRow[]): Promise<void>;
  listScoreAggregates(deviceId: string, from: Date, to: Date): Promise<ScoreAggregateRow[]>;

  upsertFleet(deviceId: string, patch: FleetPatch, now: Date): Promise<void>;
  getFleet(deviceId: string): Promise<FleetRow | null>;
  listFleet(visibleLines?: string[]): Promise<Array<FleetRow & { line: string; name: string }>>;

  close(): Promise<void>;
}
