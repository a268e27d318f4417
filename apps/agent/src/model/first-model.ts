/**
 * Installing a model when none is live yet (enrollment, or an agent waiting for its line's model): download the
 * signed package, verify its hash, signatures and the command's signature off the main thread, install it in the A/B
 * store and name it live. Nothing is loaded here: the agent's normal start-up loads whatever the pointer names.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError, reasonOf } from '../errors.js';
import { download } from './download.js';
import type { ModelStore } from './store.js';
import { verifyOffThread } from './verify.js';

/** What the controller sends for a model: the desired-model message and the enrollment reply both carry these. */
export interface ModelRef {
  readonly version: string;
  readonly packageUrl: string;
  readonly sha256: string;
  /** The command's signature over the package manifest, base64. */
  readonly signature: string;
}

export interface InstallOptions {
  readonly keys: readonly KeyObject[];
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly ca?: Buffer;
  readonly signal?: AbortSignal;
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

/**
 * Errors: LW_AGENT_DOWNLOAD_FAILED / LW_AGENT_DOWNLOAD_TIMEOUT from the download (a TLS refusal is a
 * DOWNLOAD_FAILED naming the certificate problem), LW_AGENT_UPDATE_FAILED when the package does not verify.
 */
export async function installFirstModel(store: ModelStore, ref: ModelRef, opts: InstallOptions): Promise<void> {
  const part = join(store.downloads, `${ref.sha256}.part`);
  try {
    await download(ref.packageUrl, part, {
      maxBytes: opts.maxBytes,
      timeoutMs: opts.timeoutMs,
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } catch (e) {
    if (e instanceof AgentError) throw e;
    throw new AgentError('LW_AGENT_DOWNLOAD_FAILED', `${ref.packageUrl}: ${reasonOf(e)}`, { url: ref.packageUrl });
  }
  const bytes = await readFile(part);
  const res = await verifyOffThread({
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    keys: opts.keys,
    maxBytes: opts.maxBytes,
    sha256: ref.sha256,
    commandSignature: ref.signature,
  });
  if (!res.ok) {
    store.clearDownloads();
    throw new AgentError('LW_AGENT_UPDATE_FAILED', `model ${ref.version} rejected: ${res.message}`, {
      version: ref.version,
      failure: res.failure,
      ...(res.code ? { code: res.code } : {}),
    });
  }
  store.install(ref.version, res.entries);
  store.setPointer({ live: ref.version, previous: null });
  store.clearDownloads();
}
