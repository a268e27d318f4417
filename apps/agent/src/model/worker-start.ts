/** Starts one of this directory's modules in a worker thread, from TypeScript source (tsx) or from the build. */
import { Worker } from 'node:worker_threads';

export function startModuleWorker(name: string): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // Running from TypeScript source (tsx): a worker does not inherit tsx's loader hooks, so register them first.
    const target = new URL(`./${name}.ts`, self).href;
    const api = import.meta.resolve('tsx/esm/api');
    const boot = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(target)});`;
    return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { execArgv: [...process.execArgv] });
  }
  return new Worker(new URL(`./${name}.js`, self));
}
