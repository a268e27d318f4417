/**
 * What only one replica at a time may run (rollout engine, line convergence, training policy, session sweep): started
 * in order when this replica becomes leader, stopped in reverse order when it loses the lease or shuts down.
 */
import type { FastifyBaseLogger } from 'fastify';

export interface Singleton {
  readonly name: string;
  start(): Promise<void> | void;
  /** Waits for work in flight, so nothing of this replica's runs after it returns. */
  stop(): Promise<void> | void;
}

export class Singletons {
  private readonly all: Singleton[] = [];
  private started: Singleton[] = [];

  constructor(private readonly log: FastifyBaseLogger) {}

  add(s: Singleton): this {
    this.all.push(s);
    return this;
  }

  get names(): string[] {
    return this.all.map((s) => s.name);
  }

  /** Starts every singleton; when one fails, stops those already started and throws. */
  async startAll(): Promise<void> {
    for (const s of this.all) {
      try {
        await s.start();
      } catch (err) {
        this.log.error({ err, singleton: s.name }, 'singleton failed to start');
        await this.stopAll();
        throw err;
      }
      this.started.push(s);
    }
  }

  /** Stops what was started, last first; one failing to stop does not keep the others running. */
  async stopAll(): Promise<void> {
    const started = this.started.reverse();
    this.started = [];
    for (const s of started) {
      try {
        await s.stop();
      } catch (err) {
        this.log.error({ err, singleton: s.name }, 'singleton failed to stop');
      }
    }
  }
}

/** A periodic task as a singleton (e.g. the expired-session sweep); errors are logged, the next run retries. */
export function intervalSingleton(
  name: string,
  everyMs: number,
  run: () => Promise<unknown>,
  log: FastifyBaseLogger,
): Singleton {
  let timer: NodeJS.Timeout | null = null;
  return {
    name,
    start() {
      timer ??= setInterval(() => {
        run().catch((err: unknown) => log.warn({ err, singleton: name }, `${name} failed`));
      }, everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
