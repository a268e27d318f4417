/**
 * Counts failed blob-store operations without touching the stores: the app wraps its FileStore in a proxy that
 * increments lw_blob_errors_total{op} when a method's promise rejects. Generic over the interface, so a method added
 * to FileStore is counted too (op = its name: a closed set). A missing blob, a malformed reference or an unsatisfiable
 * range is the caller's problem, not a disk or S3 error, and is not counted.
 */
import type { Counter } from 'prom-client';
import { isControllerError } from '../errors.js';

const NOT_STORE_FAULTS = new Set([
  'LW_CTRL_BLOB_NOT_FOUND',
  'LW_CTRL_FILE_REF_INVALID',
  'LW_CTRL_RANGE_NOT_SATISFIABLE',
]);

export function isStoreFault(err: unknown): boolean {
  return !(isControllerError(err) && NOT_STORE_FAULTS.has(err.code));
}

/** The store's methods (own and inherited, up to Object): the ops that get a 0 series up front. */
function methodNames(store: object): string[] {
  const names = new Set<string>();
  for (
    let o: object | null = store;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k !== 'constructor' && typeof Reflect.get(store, k) === 'function') names.add(k);
    }
  }
  return [...names];
}

/**
 * Every op starts at 0, so `increase()` in an alert sees the very first error (a series born at 1 has no increase).
 */
export function countBlobErrors<T extends object>(store: T, errors: Counter<'op'>): T {
  for (const op of methodNames(store)) errors.inc({ op }, 0);
  const onError = (op: string): void => errors.inc({ op });
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]): unknown => {
        const count = (err: unknown): never => {
          if (isStoreFault(err)) onError(prop);
          throw err;
        };
        let out: unknown;
        try {
          out = Reflect.apply(value, target, args);
        } catch (err) {
          return count(err);
        }
        return out instanceof Promise ? out.catch(count) : out;
      };
    },
  });
}
