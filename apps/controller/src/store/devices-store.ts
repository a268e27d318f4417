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
