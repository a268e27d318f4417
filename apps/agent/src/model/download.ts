/**
 * Package download over HTTP(S) into a `.part` file: resumed with a Range request if a previous attempt (or a
 * previous process, killed mid-download) left bytes behind, capped at `maxBytes` (checked against Content-Length
 * up front and against the bytes actually received), with an overall timeout.
 */
import { closeSync, fsyncSync, openSync, statSync, writeSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AgentError } from '../errors.js';

export interface DownloadOptions {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly onProgress?: (received: number, total: number | undefined) => void;
  readonly signal?: AbortSignal;
  /** CA certificate(s) an HTTPS server must chain to (the controller's CA from enrollment); Node's store if absent. */
  readonly ca?: Buffer;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The overall timeout: resuming would only spend it again. */
function timedOut(url: string): AgentError {
  return new AgentError('LW_AGENT_DOWNLOAD_TIMEOUT', 'download timed out', { url });
}

/**
 * Errors: LW_AGENT_DOWNLOAD_FAILED (retryable only when the connection closed early; HTTP errors and the size limit
 * are final), LW_AGENT_DOWNLOAD_TIMEOUT (final); network and disk errors from Node as they are.
 */
export async function download(url: string, partPath: string, opts: DownloadOptions): Promise<void> {
  const have = sizeOf(partPath);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers: have > 0 ? { Range: `bytes=${have}-` } : {},
        timeout: opts.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.ca && url.startsWith('https:') ? { ca: opts.ca } : {}),
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(timedOut(url)));
    req.on('error', reject);
    req.end();
  });
  try {
    const status = res.statusCode ?? 0;
    if (status === 416 && have > 0) return; // we already have every byte
    let offset: number;
    if (status === 206) offset = have;
    else if (status === 200)
      offset = 0; // server ignored Range: start over
    else throw new AgentError('LW_AGENT_DOWNLOAD_FAILED', `HTTP ${status}`, { url, status });
    const len = Number(res.headers['content-length']);
    const total = Number.isFinite(len) ? offset + len : undefined;
    if (total !== undefined && total > opts.maxBytes) {
      throw new AgentError('LW_AGENT_DOWNLOAD_FAILED', `package is ${total} bytes, limit ${opts.maxBytes}`, {
        url,
        total,
        limit: opts.maxBytes,
      });
    }
    const fd = openSync(partPath, offset === 0 ? 'w' : 'a');
    let received = offset;
    const deadline = setTimeout(() => res.destroy(timedOut(url)), opts.timeoutMs);
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > opts.maxBytes)
          throw new AgentError('LW_AGENT_DOWNLOAD_FAILED', `package exceeds ${opts.maxBytes} bytes`, {
            url,
            limit: opts.maxBytes,
          });
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        opts.onProgress?.(received, total);
      }
      if (total !== undefined && received !== total) {
        throw new AgentError(
          'LW_AGENT_DOWNLOAD_FAILED',
          `connection closed at ${received}/${total} bytes`,
          { url },
          { retryable: true },
        );
      }
      fsyncSync(fd);
    } finally {
      clearTimeout(deadline);
      closeSync(fd);
    }
  } finally {
    res.resume();
  }
}
