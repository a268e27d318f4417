/** What route modules, the broker and ingest share: the frozen config and the injected I/O dependencies. */
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { FileStore } from './files/file-store.js';
import type { Store } from './store/store.js';

export interface Ctx {
  config: Readonly<Config>;
  store: Store;
  files: FileStore;
  clock: Clock;
  log: FastifyBaseLogger;
}
