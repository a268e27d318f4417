/**
 * First-start state for `npm start`, all under `.linewatch/`: secrets (worker token, download-link secret), the
 * controller's config file, synthetic normal frames for the first model, and the admin-API calls that provision
 * the demo devices and register the first model. Every step checks what already exists, so a second start reuses
 * it and an interrupted first start resumes where it stopped.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packPackage, readPackage } from '@linewatch/model-package';
import { ApiClient } from '@linewatch/protocol/client';
import { CreateDeviceRoute, PutRolloutPolicyRoute, UploadModelRoute } from '@linewatch/protocol/http';
import { encodePng, generateSurface } from '@linewatch/vision';

export interface Secrets {
  readonly workerToken: string;
  readonly urlSecret: string;
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function ensureSecrets(state: string): Secrets {
  const path = join(state, 'secrets.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Secrets;
  const s: Secrets = { workerToken: randomBytes(24).toString('hex'), urlSecret: randomBytes(24).toString('hex') };
  writePrivate(path, `${JSON.stringify(s, null, 2)}\n`);
  return s;
}

export interface DemoLayout {
  readonly site: string;
  readonly line: string;
  readonly devices: readonly string[];
  /** Agent camera frames (the first model is trained at this size on the same kind of surface). */
  readonly frame: { readonly width: number; readonly height: number };
}

/** Normal synthetic surfaces like the agents' cameras show (grain texture, colour), MVTec layout for `train`. */
export async function writeDemoData(dir: string, layout: DemoLayout, count: number): Promise<void> {
  const good = join(dir, 'train', 'good');
  mkdirSync(good, { recursive: true });
  mkdirSync(join(dir, 'test', 'good'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const s = generateSurface({ seed: `demo-normal/${i}`, ...layout.frame, texture: 'grain', defect: 'none' });
    writeFileSync(join(good, `${String(i).padStart(4, '0')}.png`), await encodePng(s.image));
  }
}

export function writeControllerConfig(
  path: string,
  o: { dataDir: string; httpPort: number; mqttPort: number; secrets: Secrets; trustedKey: string },
): void {
  const config = {
    dataDir: o.dataDir,
    http: { host: '127.0.0.1', port: o.httpPort },
    mqtt: { enabled: true, mode: 'embedded', host: '127.0.0.1', port: o.mqttPort },
    // Fine-tunes are triggered by hand in the demo (Jobs page): a policy firing on the first dozen masks would start
    // before QA has rejected enough false alarms to give the fine-tune normal frames.
    jobs: { workerToken: o.secrets.workerToken, autoTriggerMinMasks: null },
    registry: { trustedKeys: [o.trustedKey], urlSecret: o.secrets.urlSecret },
    ingest: { flushIntervalMs: 2000 },
  };
  writePrivate(path, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * The admin-API steps of the first start, through the protocol's typed client (signed in as the bootstrap admin
 * with the UI's session cookie + CSRF token). A refusal names the step and carries the controller's own code.
 */
async function step<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw new Error(`${what} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Whether the stored one-time password still signs the admin in (false once it was changed, or on any refusal). */
export async function oneTimePasswordWorks(base: string, password: string): Promise<boolean> {
  try {
    await ApiClient.login({ baseUrl: base }, 'admin', password);
    return true;
  } catch {
    return false;
  }
}

/** Creates the device and returns its one-time MQTT credentials. */
export async function provision(
  api: ApiClient,
  id: string,
  site: string,
  line: string,
): Promise<{ username: string; password: string }> {
  const created = await step(`provisioning ${id}`, () =>
    api.call(CreateDeviceRoute, { body: { id, name: `Demo ${id}`, site, line } }),
  );
  return created.credentials;
}

/** Registers a package directory (packed as a tar) for `line`; returns the registry version. */
export async function registerModel(api: ApiClient, pkgDir: string, line: string): Promise<string> {
  const tar = packPackage(readPackage(pkgDir), true);
  const model = await step('registering the first model', () =>
    api.call(UploadModelRoute, { query: { line }, body: tar, contentType: 'application/x-tar' }),
  );
  return model.version;
}

/**
 * The demo line's rollout pace: the documented defaults observe every wave for 5 minutes and 500 frames, which on
 * three 2 fps demo cameras would keep a person waiting a quarter of an hour; these keep every gate, just shorter.
 */
export const DEMO_ROLLOUT_POLICY = {
  observeS: 45,
  minFrames: 60,
  minBaselineFrames: 60,
  minWaveIntervalS: 10,
} as const;

export async function setRolloutPolicy(api: ApiClient, line: string): Promise<void> {
  await step('setting the demo rollout policy', () =>
    api.call(PutRolloutPolicyRoute, { params: { scope: line }, body: DEMO_ROLLOUT_POLICY }),
  );
}

export async function waitForHttp(url: string, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (!isAlive()) throw new Error('the controller exited during start-up; see .linewatch/logs/controller.log');
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
