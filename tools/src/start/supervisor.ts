/**
 * Supervision like a service manager's, for the processes `npm start` runs. A service marked `restart` (agents, the
 * worker) that exits on its own is started again after a backoff that doubles per quick crash (1 s, 2 s, 4 s … up to
 * `maxBackoffMs`) and resets once it has stayed up for `stableMs`; each restart is said on the terminal. A service not
 * marked `restart` (the controller: everything else talks to it) failing stops everything. `stop()` cancels pending
 * restarts and stops all in stages (see children.ts). Every (re)start is recorded in the pid file (pidfile.ts).
 */
import { alive, killGroup, stopAll, type Child } from './children.js';

export interface ServiceSpec {
  readonly name: string;
  /** Starts one instance; called again for each restart. */
  readonly spawn: () => Child;
  readonly restart: boolean;
}

export interface SupervisorOptions {
  readonly say: (s: string) => void;
  /** Where the service's output goes, named in messages. */
  readonly logOf: (name: string) => string;
  /** A non-restartable service failed: the caller stops everything and exits non-zero. */
  readonly onFatal: (name: string, how: string) => void;
  /** Called after every (re)start, so the pid file follows the running pids. */
  readonly onChange?: (running: readonly Child[]) => void;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly stableMs?: number;
  readonly graceMs?: number;
  readonly now?: () => number;
}

interface Slot {
  readonly spec: ServiceSpec;
  child: Child;
  startedAt: number;
  backoffMs: number;
  restarts: number;
  timer?: NodeJS.Timeout;
}

export class Supervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly stableMs: number;
  private readonly now: () => number;

  constructor(private readonly o: SupervisorOptions) {
    this.initialBackoffMs = o.initialBackoffMs ?? 1000;
    this.maxBackoffMs = o.maxBackoffMs ?? 30_000;
    this.stableMs = o.stableMs ?? 30_000;
    this.now = o.now ?? Date.now;
  }

  /** The current instance of each service (exited ones included while a restart is pending). */
  children(): Child[] {
    return this.slots.map((s) => s.child);
  }

  restartsOf(name: string): number {
    return this.slots.find((s) => s.spec.name === name)?.restarts ?? 0;
  }

  add(spec: ServiceSpec): Child {
    const slot: Slot = {
      spec,
      child: spec.spawn(),
      startedAt: this.now(),
      backoffMs: this.initialBackoffMs,
      restarts: 0,
    };
    this.slots.push(slot);
    this.follow(slot);
    this.o.onChange?.(this.children());
    return slot.child;
  }

  private follow(slot: Slot): void {
    const child = slot.child;
    void child.exited.then((how) => {
      if (this.stopping || slot.child !== child) return;
      const log = this.o.logOf(slot.spec.name);
      // What the dead child started (ffmpeg for an RTSP camera) would hold its camera against the next instance.
      killGroup(child);
      if (!slot.spec.restart) {
        this.o.say(`${slot.spec.name} exited unexpectedly (${String(how)}); stopping everything — see ${log}`);
        this.o.onFatal(slot.spec.name, String(how));
        return;
      }
      // A service that ran a while before failing gets the short delay again: only crash loops back off.
      if (this.now() - slot.startedAt >= this.stableMs) slot.backoffMs = this.initialBackoffMs;
      const delay = slot.backoffMs;
      slot.backoffMs = Math.min(slot.backoffMs * 2, this.maxBackoffMs);
      this.o.say(
        `${slot.spec.name} exited unexpectedly (${String(how)}); restarting it in ${fmtDelay(delay)} — see ${log}`,
      );
      slot.timer = setTimeout(() => this.respawn(slot), delay);
    });
  }

  private respawn(slot: Slot): void {
    slot.timer = undefined;
    if (this.stopping) return;
    slot.child = slot.spec.spawn();
    slot.startedAt = this.now();
    slot.restarts++;
    this.o.say(`${slot.spec.name} restarted (restart ${slot.restarts}, pid ${slot.child.proc.pid ?? '?'})`);
    this.follow(slot);
    this.o.onChange?.(this.children());
  }

  /** Cancels pending restarts, then stops every running child in stages. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const s of this.slots) if (s.timer) clearTimeout(s.timer);
    await stopAll(
      this.children().filter((c) => alive(c)),
      this.o.graceMs ?? 8000,
      this.o.say,
    );
  }
}

const fmtDelay = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;

/**
 * SIGINT (Ctrl-C), SIGTERM (a service manager) and SIGHUP (the terminal closed) all mean "stop everything": without
 * the SIGHUP handler the children, in their own process groups, outlived a closed terminal as orphans.
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void): void {
  // A closed terminal turns our writes into EIO/EPIPE errors; they must not crash the stop that SIGHUP started.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
}
