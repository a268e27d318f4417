/** The Store on a prisma client (either provider's; see db.ts): builds every area once, on the one connection. */
import type { Db } from './db.js';
import { CalibrationStore } from './calibration-store.js';
import { ClassesStore } from './classes-store.js';
import { DevicesStore, FleetStore } from './devices-store.js';
import { EnrollmentStore } from './enrollment-store.js';
import { DraftsStore } from './drafts-store.js';
import { EventsStore } from './events-store.js';
import { JobsStore } from './jobs-store.js';
import { LabelsIoStore } from './labels-io-store.js';
import { LeasesStore, type DbNow } from './leases-store.js';
import { RegistryStore } from './registry-store.js';
import { RolloutCommandsStore } from './rollout-commands-store.js';
import { RolloutStore } from './rollout-store.js';
import { SamplesStore } from './samples-store.js';
import { ScoresStore } from './scores-store.js';
import type { Store } from './store.js';
import { SessionsStore, UsersStore } from './users-store.js';

export class PrismaStore implements Store {
  readonly users: UsersStore;
  readonly sessions: SessionsStore;
  readonly devices: DevicesStore;
  readonly enrollment: EnrollmentStore;
  readonly fleet: FleetStore;
  readonly events: EventsStore;
  readonly drafts: DraftsStore;
  readonly classes: ClassesStore;
  readonly scores: ScoresStore;
  readonly samples: SamplesStore;
  readonly calibration: CalibrationStore;
  readonly jobs: JobsStore;
  readonly registry: RegistryStore;
  readonly rollouts: RolloutStore;
  readonly leases: LeasesStore;
  readonly rolloutCommands: RolloutCommandsStore;
  readonly labelsIo: LabelsIoStore;

  constructor(
    readonly provider: 'sqlite' | 'postgresql',
    private readonly db: Db,
    private readonly onClose: () => Promise<void> = async () => {},
    dbNow: DbNow = async () => Date.now(),
  ) {
    this.users = new UsersStore(db);
    this.sessions = new SessionsStore(db);
    this.devices = new DevicesStore(db);
    this.enrollment = new EnrollmentStore(db);
    this.fleet = new FleetStore(db, this.devices);
    this.events = new EventsStore(db);
    this.drafts = new DraftsStore(db);
    this.classes = new ClassesStore(db);
    this.scores = new ScoresStore(db);
    this.samples = new SamplesStore(db);
    this.calibration = new CalibrationStore(db);
    this.jobs = new JobsStore(db, this.samples);
    this.registry = new RegistryStore(db);
    this.rollouts = new RolloutStore(db);
    this.leases = new LeasesStore(db, dbNow);
    this.rolloutCommands = new RolloutCommandsStore(db, dbNow);
    this.labelsIo = new LabelsIoStore(db);
  }

  async ping(): Promise<void> {
    await this.db.$queryRawUnsafe('SELECT 1');
  }

  async close(): Promise<void> {
    await this.db.$disconnect();
    await this.onClose();
  }
}
