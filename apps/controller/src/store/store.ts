/**
 * The storage the rest of the controller sees: one object per database, its areas built once and reached as
 * properties (`store.events`, `store.jobs`, `store.rollouts`, …). Every area speaks in typed rows (JSON columns
 * parsed, string columns narrowed); the prisma client stays inside store/. One implementation (prisma-store.ts)
 * serves both SQLite and PostgreSQL; the conformance suite runs the same tests against both.
 */
import type { CalibrationStore } from './calibration-store.js';
import type { DevicesStore, FleetStore } from './devices-store.js';
import type { ClassesStore } from './classes-store.js';
import type { EnrollmentStore } from './enrollment-store.js';
import type { DraftsStore } from './drafts-store.js';
import type { EventsStore } from './events-store.js';
import type { JobsStore } from './jobs-store.js';
import type { LabelsIoStore } from './labels-io-store.js';
import type { LeasesStore } from './leases-store.js';
import type { RegistryStore } from './registry-store.js';
import type { RolloutCommandsStore } from './rollout-commands-store.js';
import type { RolloutStore } from './rollout-store.js';
import type { SamplesStore } from './samples-store.js';
import type { ScoresStore } from './scores-store.js';
import type { SessionsStore, UsersStore } from './users-store.js';

export interface Store {
  readonly provider: 'sqlite' | 'postgresql';
  readonly users: UsersStore;
  readonly sessions: SessionsStore;
  readonly devices: DevicesStore;
  /** One-time device enrollment tokens. */
  readonly enrollment: EnrollmentStore;
  /** Live status per device (births/deaths, status and health messages). */
  readonly fleet: FleetStore;
  /** Flagged events, their labels and masks. */
  readonly events: EventsStore;
  /** Reviewers' unsaved mask strokes per event (never labels). */
  readonly drafts: DraftsStore;
  /** Defect classes: each line's taxonomy. */
  readonly classes: ClassesStore;
  /** Per-minute score aggregates. */
  readonly scores: ScoresStore;
  /** Score sketch windows and per-camera threshold revisions (calibration, issue #20). */
  readonly calibration: CalibrationStore;
  /** Sampled normal frames (training data; never events). */
  readonly samples: SamplesStore;
  /** Training jobs and dataset snapshots. */
  readonly jobs: JobsStore;
  /** Model versions and stored rollout policy overrides. */
  readonly registry: RegistryStore;
  /** Rollouts, their targets and decision log. */
  readonly rollouts: RolloutStore;
  /** Leader leases of controller replicas (src/cluster/). */
  readonly leases: LeasesStore;
  /** Rollout actions a replica that does not lead hands to the leader's engine (src/rollouts/commands.ts). */
  readonly rolloutCommands: RolloutCommandsStore;
  /** Label export and import: reviewed events and normals by range, one import's rows in one transaction. */
  readonly labelsIo: LabelsIoStore;
  /** Readiness: one trivial round trip (`SELECT 1`); throws when the database cannot answer now. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
