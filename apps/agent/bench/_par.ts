import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { InferenceSession, float32 } from '@linewatch/inference';
const model = readFileSync('dist/bench-accuracy/normal/model.onnx');
async function loop(threads: number, secs: number): Promise<number> {
  const s = await InferenceSession.open(new Uint8Array(model), { executionProviders: ['cpu'], intraOpThreads: threads });
  const input = float32(new Float32Array(3 * 128 * 128).fill(0.1), [1, 3, 128, 128]);
  await s.warmUp(3);
  let n = 0; const t0 = performance.now();
  while (performance.now() - t0 < secs * 1000) { await s.run({ image: input }); n++; }
  const fps = n / ((performance.now() - t0) / 1000);
  await s.release();
  return fps;
}
function mk(secs: number): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(import.meta.url)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { execArgv: [...process.execArgv], workerData: { threads: 1, secs } });
}
if (!isMainThread) { const { threads, secs } = workerData; loop(threads, secs).then((f) => parentPort!.postMessage(f)); }
else {
  const secs = 5;
  for (let rep = 0; rep < 2; rep++) {
  console.log('2 threads seq', (await loop(2, secs)).toFixed(1));
  console.log('1 thread seq', (await loop(1, secs)).toFixed(1));
  const ws = [0, 1].map(() => new Promise<number>((r) => { const w = mk(secs); w.on('message', (m) => { r(m); void w.terminate(); }); }));
  const fs = await Promise.all(ws);
  console.log('2x1 parallel', fs.map((f) => f.toFixed(1)).join('+'), (fs[0]! + fs[1]!).toFixed(1));
  }
}
