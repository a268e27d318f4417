/** Starts broker-worker.ts and talks to it: the broker's URL, event and score counts, stop. */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../src/model/worker-start.js';
import type { BrokerReply, BrokerRequest } from './broker-worker.js';

export interface BrokerThread {
  readonly url: string;
  counts(): Promise<{ events: number; scores: number }>;
  stop(): Promise<void>;
}

function ask(worker: Worker, req: BrokerRequest | undefined, want: BrokerReply['op']): Promise<BrokerReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: BrokerReply): void => {
      if (m.op !== want) return;
      worker.off('message', onMessage).off('error', reject);
      resolve(m);
    };
    worker.on('message', onMessage).once('error', reject);
    if (req) worker.postMessage(req);
  });
}

export async function startBrokerThread(): Promise<BrokerThread> {
  const worker = startModuleWorker('broker-worker', import.meta.url);
  const ready = await ask(worker, undefined, 'ready');
  if (ready.op !== 'ready') throw new Error('broker worker did not start');
  return {
    url: ready.url,
    async counts() {
      const m = await ask(worker, { op: 'counts' }, 'counts');
      return m.op === 'counts' ? { events: m.events, scores: m.scores } : { events: 0, scores: 0 };
    },
    async stop() {
      await ask(worker, { op: 'stop' }, 'stopped');
      await worker.terminate();
    },
  };
}
