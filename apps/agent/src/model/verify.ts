/** Runs verify-worker.ts in a worker thread for one package (updates are rare: a thread per update is fine). */
import type { VerifyRequest, VerifyResponse } from './verify-worker.js';
import { startModuleWorker } from './worker-start.js';

export function verifyOffThread(req: VerifyRequest): Promise<VerifyResponse> {
  const worker = startModuleWorker('verify-worker');
  return new Promise<VerifyResponse>((resolve, reject) => {
    worker.once('message', (r: VerifyResponse) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`verification worker exited (${code})`)));
    worker.postMessage(req);
  }).finally(() => void worker.terminate());
}

export type { VerifyRequest, VerifyResponse };
