/**
 * Scores API images on the live model, sharing it fairly with the cameras. The model hands its input buffers out
 * first come, first served, and the pipeline's dispatcher waits there for one buffer at a time; an API request
 * waits in the same line. So with `concurrency` 1 (the default) an API request and the cameras take turns: while
 * both are busy, at most every other buffer goes to the API, the rest to the cameras' round robin, and neither
 * starves. Requests beyond `concurrency` wait here, at most `queueSize` of them; more are refused at once
 * (LW_AGENT_API_BUSY, HTTP 503) rather than queued without bound.
 */
import type { RgbImage } from '@linewatch/vision';
import { AgentError } from '../../errors.js';
import type { InferenceResult, LoadedModel } from '../../model/loaded-model.js';

export interface ScorerOptions {
  /** The live model, read per request (a swap lands between requests). */
  readonly model: () => LoadedModel;
  readonly concurrency: number;
  readonly queueSize: number;
}

export interface Scored {
  readonly result: InferenceResult;
  readonly model: LoadedModel;
  /** Waiting here and for a model buffer. */
  readonly queueMs: number;
  readonly inferMs: number;
}

export class ApiScorer {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly opts: ScorerOptions) {}

  /** The model requests are scored on now. */
  model(): LoadedModel {
    return this.opts.model();
  }

  /** Requests running or waiting. */
  get depth(): number {
    return this.running + this.waiting.length;
  }

  async score(image: RgbImage): Promise<Scored> {
    const t0 = performance.now();
    await this.turn();
    try {
      const { model, reservation } = await this.reserve();
      const t1 = performance.now();
      const result = await reservation.run(image);
      return { result, model, queueMs: t1 - t0, inferMs: performance.now() - t1 };
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private turn(): Promise<void> {
    if (this.running < this.opts.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.opts.queueSize)
      throw new AgentError('LW_AGENT_API_BUSY', `${this.depth} requests running or waiting`, { depth: this.depth });
    return new Promise<void>((resolve) =>
      this.waiting.push(() => {
        this.running++;
        resolve();
      }),
    );
  }

  /** A buffer of the live model; a model released while we waited (swapped) hands over to its successor. */
  private async reserve() {
    for (let attempt = 0; ; attempt++) {
      const model = this.opts.model();
      try {
        return { model, reservation: await model.reserve() };
      } catch (e) {
        if (attempt >= 2 || model === this.opts.model()) throw e;
      }
    }
  }
}
