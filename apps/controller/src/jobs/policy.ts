/**
 * Automatic triggering: every `jobs.policyIntervalMs`, each known line with at least `jobs.autoTriggerMinMasks`
 * confirmed masks that its last job's snapshot does not hold, and no open job, gets a job (trigger 'policy').
 * Counting against the last job's snapshot — not against "since the last success" — means a failing job is not
 * re-triggered in a loop: the next one waits for N more masks. The same tick fails jobs whose last allowed lease
 * expired, so a crashed worker's job does not sit in 'running' forever when no worker claims again.
 */
import type { Ctx } from '../context.js';
import { isControllerError } from '../errors.js';
import type { JobRow } from '../store/jobs-store.js';
import type { JobService } from './service.js';

export class JobPolicy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<JobRow[]> | null = null;

  constructor(
    private readonly ctx: Ctx,
    private readonly jobs: JobService,
  ) {}

  /** One pass; returns the jobs it created. Overlapping calls share the pass in flight. */
  tick(): Promise<JobRow[]> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<JobRow[]> {
    await this.jobs.failExhausted();
    const min = this.ctx.config.jobs.autoTriggerMinMasks;
    if (min === null) return [];
    const created: JobRow[] = [];
    for (const line of await this.jobs.store.knownLines()) {
      if (await this.jobs.store.openJobForLine(line)) continue;
      const n = await this.jobs.newMasks(line);
      if (n < min) continue;
      try {
        created.push(await this.jobs.createJob(line, 'policy'));
        this.ctx.log.info({ line, newMasks: n, min }, 'policy triggered a training job');
      } catch (e) {
        // No live model yet, or an admin's job won the race: nothing to do until the next tick.
        if (isControllerError(e, 'LW_CTRL_JOB_NO_PARENT') || isControllerError(e, 'LW_CTRL_JOB_OPEN')) {
          this.ctx.log.debug({ line, code: e.code }, 'policy skipped line');
          continue;
        }
        throw e;
      }
    }
    return created;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.ctx.log.warn({ err }, 'training policy tick failed'));
    }, this.ctx.config.jobs.policyIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in flight (so the store can close after). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
