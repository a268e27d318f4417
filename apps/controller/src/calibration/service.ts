/**
 * Per-camera calibration: proposals from the stored sketch windows, approved thresholds stored as revisions and
 * published as the camera's retained `cfg/threshold/{camera}` message (the agent applies the highest revision it
 * has seen, for the model version it names), history, and restoring an earlier revision as a new one.
 */
import { randomUUID } from 'node:crypto';
import { toPublication, type ThresholdMessage } from '@linewatch/protocol';
import type { ApproveThresholdBody, CalibrationCamera, CalibrationProposal } from '@linewatch/protocol/http';
import { canSeeLine } from '../auth/guard.js';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { ThresholdRevisionRow } from '../store/calibration-store.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { DeviceRow, UserRow } from '../store/types.js';
import { propose } from './proposal.js';
import { revisionView } from './view.js';

const DAY_MS = 86_400_000;
/** Cameras listed: those that reported a window in this period. */
const LISTED_DAYS = 30;
/** Concurrent approvals race for the next revision number; the loser retries with the one after. */
const REVISION_ATTEMPTS = 3;

type Figures = Omit<
  ThresholdRevisionRow,
  'id' | 'deviceId' | 'camera' | 'revision' | 'authorId' | 'authorName' | 'createdAt'
>;

export class Calibration {
  constructor(
    private readonly ctx: Ctx,
    /** The MQTT bus, or null when MQTT is off (approving then answers 503). */
    private readonly bus: () => Bus | null,
  ) {}

  async cameras(user: UserRow): Promise<CalibrationCamera[]> {
    const since = new Date(this.ctx.clock.now().getTime() - LISTED_DAYS * DAY_MS);
    const cams = (await this.ctx.store.calibration.cameras(since)).filter((c) => canSeeLine(user, c.line));
    return Promise.all(
      cams.map(async (c) => {
        const rev = await this.ctx.store.calibration.latestRevision(c.deviceId, c.camera);
        return {
          ...c,
          revision: rev ? revisionView(rev) : null,
          needsCalibration: rev === null || rev.modelVersion !== c.modelVersion,
        };
      }),
    );
  }

  async proposal(
    user: UserRow,
    deviceId: string,
    camera: string,
    q: { targetFar: number; hours: number },
  ): Promise<CalibrationProposal> {
    await this.visibleDevice(user, deviceId);
    const to = this.ctx.clock.now();
    const from = new Date(to.getTime() - q.hours * 3_600_000);
    const recent = await this.ctx.store.calibration.windows({ deviceId, camera, since: from });
    const newest = recent[recent.length - 1];
    if (!newest)
      throw ctrlError('LW_CTRL_NOT_FOUND', `no score sketches from ${deviceId}/${camera} since ${from.toISOString()}`);
    // Only the live model's windows: a new model version starts a fresh proposal.
    const windows = recent.filter((w) => w.modelVersion === newest.modelVersion);
    const confirmed = await this.ctx.store.calibration.confirmedScores(deviceId, camera, newest.modelVersion, from, to);
    const r = propose(windows, confirmed, q.targetFar);
    if (!r.ok) {
      throw ctrlError(
        'LW_CTRL_CALIBRATION_NOT_ENOUGH_FRAMES',
        `not enough normal frames: ${r.normalFrames} of ${r.requiredFrames} for a false-alarm rate of ${q.targetFar}`,
      );
    }
    return { deviceId, camera, from: from.toISOString(), to: to.toISOString(), ...r.figures };
  }

  async revisions(user: UserRow, deviceId: string, camera: string) {
    await this.visibleDevice(user, deviceId);
    return (await this.ctx.store.calibration.revisions(deviceId, camera)).map(revisionView);
  }

  async approve(user: UserRow, deviceId: string, camera: string, b: ApproveThresholdBody) {
    const device = await this.visibleDevice(user, deviceId);
    const newest = (await this.ctx.store.calibration.windows({ deviceId, camera })).at(-1);
    if (newest && newest.modelVersion !== b.modelVersion) {
      throw ctrlError(
        'LW_CTRL_CALIBRATION_STALE',
        `${deviceId}/${camera} runs ${newest.modelVersion} now; the proposal was for ${b.modelVersion}`,
      );
    }
    return this.publishRevision(user, device, camera, {
      threshold: b.threshold,
      modelVersion: b.modelVersion,
      targetFar: b.targetFar ?? null,
      expectedFlagRate: b.expectedFlagRate ?? null,
      currentFlagRate: b.currentFlagRate ?? null,
      basisFrames: b.basisFrames ?? null,
      reason: b.reason,
      restoredFrom: null,
    });
  }

  async restore(user: UserRow, deviceId: string, camera: string, revision: number, reason: string) {
    const device = await this.visibleDevice(user, deviceId);
    const old = (await this.ctx.store.calibration.revisions(deviceId, camera)).find((r) => r.revision === revision);
    if (!old) throw ctrlError('LW_CTRL_NOT_FOUND', `no threshold revision ${revision} for ${deviceId}/${camera}`);
    return this.publishRevision(user, device, camera, {
      threshold: old.threshold,
      modelVersion: old.modelVersion,
      targetFar: old.targetFar,
      expectedFlagRate: old.expectedFlagRate,
      currentFlagRate: old.currentFlagRate,
      basisFrames: old.basisFrames,
      reason,
      restoredFrom: old.revision,
    });
  }

  /**
   * Publishes every camera's newest revision again (start-up): the embedded broker keeps retained messages in
   * memory only, so after a controller restart an agent that reconnects would otherwise fall back to its defaults.
   */
  async republishAll(): Promise<number> {
    const bus = this.bus();
    if (!bus) return 0;
    const latest = await this.ctx.store.calibration.latestRevisions();
    let n = 0;
    for (const r of latest) {
      const device = await this.ctx.store.devices.find(r.deviceId);
      if (!device || device.disabledAt) continue;
      await bus.publish(this.publication(device, r));
      n++;
    }
    return n;
  }

  private async publishRevision(user: UserRow, device: DeviceRow, camera: string, f: Figures) {
    const bus = this.bus();
    if (!bus) throw ctrlError('LW_CTRL_BROKER_UNAVAILABLE', 'MQTT is disabled: thresholds cannot be published');
    const row = await this.nextRevision(user, device.id, camera, f);
    await bus.publish(this.publication(device, row));
    this.ctx.log.info(
      { deviceId: device.id, camera, revision: row.revision, threshold: row.threshold, author: user.username },
      'threshold revision published',
    );
    return revisionView(row);
  }

  private async nextRevision(user: UserRow, deviceId: string, camera: string, f: Figures) {
    for (let attempt = 1; ; attempt++) {
      const latest = await this.ctx.store.calibration.latestRevision(deviceId, camera);
      const row: ThresholdRevisionRow = {
        id: randomUUID(),
        deviceId,
        camera,
        revision: (latest?.revision ?? 0) + 1,
        ...f,
        authorId: user.id,
        authorName: user.username,
        createdAt: this.ctx.clock.now(),
      };
      try {
        await this.ctx.store.calibration.addRevision(row);
        return row;
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= REVISION_ATTEMPTS) throw e;
      }
    }
  }

  private publication(device: DeviceRow, r: ThresholdRevisionRow) {
    const msg: ThresholdMessage = {
      camera: r.camera,
      threshold: r.threshold,
      revision: r.revision,
      modelVersion: r.modelVersion,
      ts: r.createdAt.getTime(),
    };
    return toPublication(
      'threshold',
      { site: device.site, line: device.line, device: device.id, camera: r.camera },
      msg,
    );
  }

  private async visibleDevice(user: UserRow, deviceId: string): Promise<DeviceRow> {
    const d = await this.ctx.store.devices.find(deviceId);
    if (!d || !canSeeLine(user, d.line)) throw ctrlError('LW_CTRL_NOT_FOUND', `no device ${deviceId}`);
    return d;
  }
}
