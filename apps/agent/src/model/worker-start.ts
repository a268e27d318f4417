/**
 * Starts a module in a worker thread, from TypeScript source (tsx) or from the build: `name` is resolved next to
 * `base` (this directory by default).
 */
import { Worker } from 'node:worker_threads';

export function startModuleWorker(name: string, base: string = import.meta.url): Worker {
  const self = base;
  if (self.endsWith('.ts')) {
    // Running from TypeScript source (tsx): a worker does not inherit tsx's loader hooks, so register them first.
    const target = new URL(`./${name}.ts`, self).href;
    const api = import.meta.resolve('tsx/esm/api');
    const boot = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(target)});`;
    // V8 flags such as --trace-gc are process-wide (they reach the worker anyway) and a worker refuses them.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--trace-gc'));
    return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { execArgv });
  }
  return new Worker(new URL(`./${name}.js`, self));
}
