/**
 * Puts the local API on loopback (host:port) or a unix socket, and takes it down first on stop (no request is
 * answered by a half-stopped agent). A stale socket file left by a crashed run is removed before listening; the
 * socket is made owner+group read/write only, so file permissions decide who may call.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { AgentConfig } from '../../config.js';
import { reasonOf } from '../../errors.js';
import type { Logger } from '../../log.js';

export type ApiListen = Pick<AgentConfig['integration']['api'], 'host' | 'port' | 'socketPath'>;

export class LineApiServer {
  private started: Promise<string> | undefined;

  constructor(
    readonly app: FastifyInstance,
    private readonly listen: ApiListen,
    private readonly log: Logger,
  ) {}

  /** Resolves with where it listens (`http://127.0.0.1:PORT` or the socket path); rejects if it cannot. */
  start(): Promise<string> {
    this.started ??= this.open();
    return this.started;
  }

  /** Where it listens, once started (the same promise as start()). */
  get listening(): Promise<string> | undefined {
    return this.started;
  }

  private async open(): Promise<string> {
    const path = this.listen.socketPath;
    if (path !== undefined) {
      removeStaleSocket(path);
      await this.app.listen({ path });
      chmodSync(path, 0o660);
      this.log('info', `local inference API on unix socket ${path}`);
      return path;
    }
    await this.app.listen({ host: this.listen.host, port: this.listen.port });
    const addr = this.app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.listen.port;
    const host = this.listen.host.includes(':') ? `[${this.listen.host}]` : this.listen.host;
    const url = `http://${host}:${port}`;
    this.log('info', `local inference API on ${url}`);
    return url;
  }

  async close(): Promise<void> {
    if (!this.started) return;
    await this.started.catch(() => undefined);
    await this.app.close().catch((e: unknown) => this.log('warn', `local API did not close cleanly: ${reasonOf(e)}`));
  }
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    /* absent: nothing to remove */
  }
}
