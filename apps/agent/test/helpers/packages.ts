/** Signed test packages around the tiny model, plus a local HTTP server that serves them (with Range support). */
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  buildPackage,
  generateSigningKeys,
  loadPrivateKey,
  loadPublicKey,
  packPackage,
} from '@linewatch/model-package';
import type { ManifestDraft, PackageFile } from '@linewatch/model-package';
import type { DesiredModelMessage } from '@linewatch/protocol';
import { createImage, encodePng } from '@linewatch/vision';
import { anomalyModel, uniformScore } from './tiny-model.js';

export interface Keys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPath: string;
}

export function makeKeys(dir: string, name = 'signing'): Keys {
  const k = generateSigningKeys(dir, name);
  return {
    privateKey: loadPrivateKey(k.privateKeyPath),
    publicKey: loadPublicKey(k.publicKeyPath),
    publicKeyPath: k.publicKeyPath,
  };
}

export interface PackageSpec {
  readonly version: string;
  readonly build: number;
  readonly gain?: number;
  readonly size?: number;
  readonly threshold?: number;
  /** Expected golden score override (to make a self-test fail). */
  readonly goldenScore?: number;
}

export interface TestPackage {
  readonly entries: PackageFile[];
  readonly tar: Uint8Array;
  readonly sha256: string;
  readonly signature: string;
  readonly registryVersion: string;
}

export async function makePackage(keys: Keys, spec: PackageSpec): Promise<TestPackage> {
  const size = spec.size ?? 32;
  const gain = spec.gain ?? 1;
  const golden = await encodePng(createImage(size, size, [200, 200, 200]));
  const draft: ManifestDraft = {
    schemaVersion: 1,
    modelId: 'tiny',
    version: spec.version,
    build: spec.build,
    createdAt: '2026-11-28T12:00:00Z',
    backbone: { id: 'none' },
    input: { width: size, height: size, channels: 3 },
    normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255, channelOrder: 'RGB', colour: 'rgb' },
    featureTaps: ['abs'],
    tokenGrid: { rows: 1, cols: 1 },
    preset: 'tiny',
    metrics: {},
    threshold: { value: spec.threshold ?? 0.5, method: 'f1-max' },
    selfTest: {
      tolerance: 1e-3,
      frames: [{ path: 'golden/grey.png', expectedScore: spec.goldenScore ?? uniformScore(200, gain) }],
    },
  };
  const entries = buildPackage(
    draft,
    [
      { path: 'model.onnx', data: anomalyModel(size, size, gain) },
      { path: 'golden/grey.png', data: new Uint8Array(golden) },
    ],
    keys.privateKey,
    keys.publicKey,
  );
  return packageFromEntries(entries, `${spec.version}+${spec.build}`);
}

export function packageFromEntries(entries: PackageFile[], registryVersion: string): TestPackage {
  const tar = packPackage(entries, true);
  const sigFile = entries.find((e) => e.path === 'signature.json');
  const signature = sigFile
    ? (JSON.parse(Buffer.from(sigFile.data).toString('utf8')) as { signature: string }).signature
    : 'AAAA';
  return { entries, tar, sha256: createHash('sha256').update(tar).digest('hex'), signature, registryVersion };
}

export function desiredFor(
  device: string,
  pkg: TestPackage,
  url: string,
  extra: Partial<DesiredModelMessage> = {},
): DesiredModelMessage {
  return {
    device,
    rolloutId: `r-${pkg.registryVersion.replace(/[^A-Za-z0-9]/g, '-')}`,
    version: pkg.registryVersion,
    packageUrl: url,
    sha256: pkg.sha256,
    signatureScheme: 'ed25519',
    signature: pkg.signature,
    rollback: false,
    issuedAt: Date.now(),
    ...extra,
  };
}

/** Serves byte blobs by path; honours `Range: bytes=N-`. `slowMs` delays each response (for kill-mid-update). */
export async function packageServer(tls?: { cert: Buffer; key: Buffer }): Promise<{
  url: string;
  put(path: string, bytes: Uint8Array): string;
  requests: string[];
  close(): Promise<void>;
  slowMs: number;
  cutOnceAfter: number;
}> {
  const blobs = new Map<string, Uint8Array>();
  const requests: string[] = [];
  const state = { slowMs: 0, cutOnceAfter: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push(`${req.url} ${req.headers.range ?? ''}`);
    const b = blobs.get(req.url ?? '');
    if (!b) {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const send = (): void => {
      if (start >= b.length && m) {
        res.writeHead(416).end();
        return;
      }
      res.writeHead(m ? 206 : 200, { 'content-length': String(b.length - start) });
      if (state.cutOnceAfter > 0 && !m) {
        // A connection that drops mid-transfer, once.
        const n = state.cutOnceAfter;
        state.cutOnceAfter = 0;
        res.write(Buffer.from(b.subarray(0, n)), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      res.end(Buffer.from(b.subarray(start)));
    };
    if (state.slowMs > 0) setTimeout(send, state.slowMs);
    else send();
  };
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(v: number) {
      state.slowMs = v;
    },
    get cutOnceAfter() {
      return state.cutOnceAfter;
    },
    set cutOnceAfter(v: number) {
      state.cutOnceAfter = v;
    },
    put(path, bytes) {
      blobs.set(path, bytes);
      return `${url}${path}`;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
