/** Devices and their live fleet status (last status/health messages: JSON columns, parsed here). */
import type { Db } from './db.js';
import type { DeviceRow, FleetPatch, FleetRow } from './types.js';

type DbFleet = Omit<FleetRow, 'status' | 'health'> & { status: string | null; health: string | null };

const parseJson = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
const toFleet = (f: DbFleet): FleetRow => ({ ...f, status: parseJson(f.status), health: parseJson(f.health) });

export class DevicesStore {
  constructor(private readonly db: Db) {}

  async create(d: DeviceRow): Promise<void> {
    await this.db.device.create({ data: d });
  }
  find(id: string): Promise<DeviceRow | null> {
    return this.db.device.findUnique({ where: { id } });
  }
  /** Returns the updated row, or null when the device does not exist. */
  async disable(id: string, at: Date): Promise<DeviceRow | null> {
    // Only the first disable sets the time; later calls return the row unchanged.
    await this.db.device.updateMany({ where: { id, disabledAt: null }, data: { disabledAt: at } });
    return this.find(id);
  }
  /** Re-enables a disabled device; returns the row, or null when it does not exist. */
  async enable(id: string): Promise<DeviceRow | null> {
    await this.db.device.updateMany({ where: { id }, data: { disabledAt: null } });
    return this.find(id);
  }
  /** New credentials (re-key); history (events, scores, fleet) stays with the id. False when it does not exist. */
  async setCredential(id: string, credentialHash: string): Promise<boolean> {
    return (await this.db.device.updateMany({ where: { id }, data: { credentialHash } })).count === 1;
  }
  /**
   * Forgets the device, its fleet row and score aggregates; its events and normal samples stay (training data of the
   * line). False when it does not exist.
   */
  async delete(id: string): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      await tx.fleetStatus.deleteMany({ where: { deviceId: id } });
      await tx.scoreAggregate.deleteMany({ where: { deviceId: id } });
      return (await tx.device.deleteMany({ where: { id } })).count === 1;
    });
  }
  /** Whether events or samples still carry this id (a new device under it would collide on their sequences). */
  async hasHistory(id: string): Promise<boolean> {
    const [events, samples] = await Promise.all([
      this.db.event.count({ where: { deviceId: id } }),
      this.db.normalSample.count({ where: { deviceId: id } }),
    ]);
    return events + samples > 0;
  }
  list(visibleLines?: string[]): Promise<DeviceRow[]> {
    return this.db.device.findMany({
      where: visibleLines ? { line: { in: visibleLines } } : {},
      orderBy: { id: 'asc' },
    });
  }
}

export class FleetStore {
  constructor(
    private readonly db: Db,
    private readonly devices: DevicesStore,
  ) {}

  async upsert(deviceId: string, patch: FleetPatch, now: Date): Promise<void> {
    const data = {
      ...patch,
      ...(patch.status !== undefined && { status: JSON.stringify(patch.status) }),
      ...(patch.health !== undefined && { health: JSON.stringify(patch.health) }),
      updatedAt: now,
    } as Partial<DbFleet> & { lastSeen: Date; updatedAt: Date };
    await this.db.fleetStatus.upsert({
      where: { deviceId },
      create: {
        online: false,
        bdSeq: null,
        agentVersion: null,
        modelVersion: null,
        status: null,
        health: null,
        ...data,
        deviceId,
      },
      update: data,
    });
  }
  async get(deviceId: string): Promise<FleetRow | null> {
    const f = await this.db.fleetStatus.findUnique({ where: { deviceId } });
    return f && toFleet(f);
  }
  /** The fleet rows of the (visible) devices that have one, with the device's line and name. */
  async list(visibleLines?: string[]): Promise<Array<FleetRow & { line: string; name: string }>> {
    const devices = await this.devices.list(visibleLines);
    const fleet = await this.db.fleetStatus.findMany({ where: { deviceId: { in: devices.map((d) => d.id) } } });
    const byId = new Map(fleet.map((f) => [f.deviceId, toFleet(f)]));
    return devices.flatMap((d) => {
      const f = byId.get(d.id);
      return f ? [{ ...f, line: d.line, name: d.name }] : [];
    });
  }
}
