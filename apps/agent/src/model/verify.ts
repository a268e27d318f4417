/** Runs verify-worker.ts in a worker thread for one package (updates are rare: a thread per update is fine). */
import { Worker } from 'node:worker_threads';
import type { VerifyRequest, VerifyResponse } from './verify-worker.js';

function startWorker(): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // Running from TypeScript source (tsx): a worker does not inherit tsx's loader hooks, so register them first.
    const target = new URL('./verify-worker.ts', self).href;
    const api = import.meta.resolve('tsx/esm/api');
    const boot = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(target)});`;
    return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { execArgv: [...process.execArgv] });
  }
  return new Worker(new URL('./verify-worker.js', self));
}

export function verifyOffThread(req: VerifyRequest): Promise<VerifyResponse> {
  const worker = startWorker();
  return new Promise<VerifyResponse>((resolve, reject) => {
    worker.once('message', (r: VerifyResponse) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`verification worker exited (${code})`)));
    worker.postMessage(req);
  }).finally(() => void worker.terminate());
}

export type { VerifyRequest, VerifyResponse };
