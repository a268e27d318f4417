/**
 * Worker thread: hashes, unpacks and verifies a downloaded package off the event loop. A real model is tens of MB;
 * gunzip + sha256 of every file on the main thread would stall every camera for hundreds of ms mid-update.
 */
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { isPackageError, MANIFEST_FILE, readPackage, verifyBytes, verifyEntries } from '@linewatch/model-package';
import type { Manifest } from '@linewatch/protocol';

export interface VerifyRequest {
  readonly bytes: Uint8Array;
  readonly keys: readonly KeyObject[];
  readonly maxBytes: number;
  readonly sha256: string;
  /** The desired-model command's signature over the manifest bytes. */
  readonly commandSignature: string;
}

export type VerifyResponse =
  | { ok: true; manifest: Manifest; entries: { path: string; data: Uint8Array }[] }
  | { ok: false; failure: 'hash' | 'package' | 'command-signature'; code?: string; errno?: string; message: string };

function verify(req: VerifyRequest): VerifyResponse {
  const sha = createHash('sha256').update(req.bytes).digest('hex');
  if (sha !== req.sha256)
    return { ok: false, failure: 'hash', message: `package sha256 ${sha} differs from the command's ${req.sha256}` };
  try {
    const entries = readPackage(req.bytes, req.maxBytes);
    const verified = verifyEntries(entries, req.keys);
    const manifestBytes = entries.find((e) => e.path === MANIFEST_FILE)!.data;
    const ok = verifyBytes(
      manifestBytes,
      { scheme: 'ed25519', keyId: verified.manifest.signing.keyId, signature: req.commandSignature },
      req.keys,
    );
    if (!ok)
      return {
        ok: false,
        failure: 'command-signature',
        message: 'the desired-model signature does not verify over the package manifest',
      };
    return { ok: true, manifest: verified.manifest, entries: entries.map((e) => ({ path: e.path, data: e.data })) };
  } catch (e) {
    const errno = (e as { cause?: { code?: unknown } }).cause?.code;
    return {
      ok: false,
      failure: 'package',
      message: e instanceof Error ? e.message : String(e),
      ...(isPackageError(e) ? { code: e.code } : {}),
      ...(typeof errno === 'string' ? { errno } : {}),
    };
  }
}

parentPort?.on('message', (req: VerifyRequest) => {
  parentPort!.postMessage(verify(req));
});
