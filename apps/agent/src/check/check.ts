/**
 * `linewatch-agent check`: everything a technician can verify at the line before `run` — each camera (a JPEG of its
 * first frame, its size and measured fps), the broker (URL, credentials, TLS), the controller's certificate
 * against the enrolled CA, and the installed model on the configured execution providers. Prints one line per
 * check, `ok` or the failure's code and what to fix; returns whether all passed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_FILE } from '@linewatch/model-package';
import { encodeJpeg } from '@linewatch/vision';
import { connect as mqttConnect } from 'mqtt';
import { trustedKeys } from '../agent.js';
import { frameSource } from '../config.js';
import type { AgentConfig } from '../config.js';
import { caFetch, isCertificateError } from '../enroll/fetch.js';
import { reasonOf } from '../errors.js';
import { inProcessOpener, LoadedModel } from '../model/loaded-model.js';
import { ModelStore } from '../model/store.js';
import { readTls } from '../mqtt/link.js';
import type { SourceFactory } from '../sources/index.js';
import { probeCamera } from './camera.js';

export interface CheckOptions {
  readonly out: string;
  readonly timeoutMs: number;
  readonly measureMs?: number;
  readonly sourceFactory?: SourceFactory;
  readonly ffmpeg?: string;
}

type Line = (line: string) => void;
type Outcome = { ok: true; text: string } | { ok: false; code: string; text: string };

async function checkCameras(cfg: AgentConfig, opts: CheckOptions, print: Line): Promise<boolean> {
  mkdirSync(opts.out, { recursive: true });
  let all = true;
  for (const cam of cfg.cameras) {
    const r = await probeCamera(cam, cfg, {
      timeoutMs: opts.timeoutMs,
      ...(opts.measureMs !== undefined ? { measureMs: opts.measureMs } : {}),
      ...(opts.sourceFactory ? { sourceFactory: opts.sourceFactory } : {}),
      ...(opts.ffmpeg ? { ffmpeg: opts.ffmpeg } : {}),
    });
    if (!r.ok) {
      all = false;
      print(`camera ${cam.id} (${cam.source.kind}): FAIL ${r.code}: ${r.message}`);
      continue;
    }
    const file = join(opts.out, `${cam.id}.jpg`);
    writeFileSync(file, await encodeJpeg(r.frame));
    print(
      `camera ${cam.id} (${cam.source.kind}): ok ${r.frame.width}x${r.frame.height}, ${r.fps.toFixed(1)} fps measured (config ${frameSource(cam.source).fps}), frame written to ${file}`,
    );
  }
  return all;
}

function checkBroker(cfg: AgentConfig, timeoutMs: number): Promise<Outcome> {
  const b = cfg.broker;
  const tls = /^(mqtts|wss):/.test(b.url);
  return new Promise((resolve) => {
    let done = false;
    // The device id is the controller's second allowed client id: a running agent (lw-agent-<id>) is not kicked off.
    const client = mqttConnect(b.url, {
      clientId: cfg.device,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      protocolVersion: 4,
      ...(b.username !== undefined ? { username: b.username } : {}),
      ...(b.password !== undefined ? { password: b.password } : {}),
      ...readTls(cfg),
    });
    const finish = (o: Outcome): void => {
      if (done) return;
      done = true;
      client.end(true, {}, () => resolve(o));
    };
    client.on('connect', () =>
      finish({ ok: true, text: `connected to ${b.url}${tls ? ' (TLS verified)' : ' (plaintext)'}` }),
    );
    client.on('error', (e) => {
      const hint = isCertificateError(e) ? ' — the broker certificate does not verify against broker.tls.caFile' : '';
      finish({ ok: false, code: 'LW_AGENT_CHECK_BROKER', text: `${b.url}: ${reasonOf(e)}${hint}` });
    });
    client.on('close', () =>
      finish({
        ok: false,
        code: 'LW_AGENT_CHECK_BROKER',
        text: `${b.url}: connection closed (address, port, credentials?)`,
      }),
    );
  });
}

async function checkController(cfg: AgentConfig, timeoutMs: number): Promise<Outcome | undefined> {
  const url = cfg.controller.url;
  if (!url?.startsWith('https:')) return undefined;
  const ca = cfg.controller.caFile ? readFileSync(cfg.controller.caFile) : undefined;
  try {
    await caFetch(ca)(new URL('/', url), { signal: AbortSignal.timeout(timeoutMs) });
    return { ok: true, text: `${url}: certificate verified${ca ? ` against ${cfg.controller.caFile}` : ''}` };
  } catch (e) {
    const what = isCertificateError(e) ? 'certificate does not verify' : 'unreachable';
    return { ok: false, code: 'LW_AGENT_CHECK_CONTROLLER', text: `${url}: ${what}: ${reasonOf(e)}` };
  }
}

async function checkModel(cfg: AgentConfig): Promise<Outcome> {
  const store = new ModelStore(cfg.dataDir);
  const live = store.pointer()?.live;
  if (!live || !store.has(live))
    return {
      ok: true,
      text: "none installed yet: 'run' waits for the controller's model (LW_AGENT_WAITING_FOR_MODEL)",
    };
  const wanted = cfg.inference.executionProviders[0]!;
  try {
    const v = store.verify(live, trustedKeys(cfg));
    const m = await LoadedModel.load(
      live,
      v.manifest,
      v.files.get(MODEL_FILE)!,
      {
        executionProviders: cfg.inference.executionProviders,
        warmUpRuns: 1,
        sessions: 1,
        ...(cfg.inference.deviceId !== undefined ? { deviceId: cfg.inference.deviceId } : {}),
        ...(cfg.inference.tensorrt ? { tensorrt: cfg.inference.tensorrt } : {}),
      },
      inProcessOpener,
    );
    await m.release();
    if (m.provider !== wanted) {
      const why = m.attempts.find((a) => a.provider === wanted)?.reason ?? 'not tried';
      return { ok: false, code: 'LW_AGENT_CHECK_MODEL', text: `${live} opens on ${m.provider}, not ${wanted}: ${why}` };
    }
    return { ok: true, text: `${live} verified and opened on ${m.provider}` };
  } catch (e) {
    return { ok: false, code: 'LW_AGENT_CHECK_MODEL', text: `${live}: ${reasonOf(e)}` };
  }
}

function printOutcome(print: Line, what: string, o: Outcome): boolean {
  print(o.ok ? `${what}: ok ${o.text}` : `${what}: FAIL ${o.code}: ${o.text}`);
  return o.ok;
}

export async function runCheck(cfg: AgentConfig, opts: CheckOptions, print: Line): Promise<boolean> {
  print(`config: ok ${cfg.site}/${cfg.line}/${cfg.device}, ${cfg.cameras.length} camera(s), data in ${cfg.dataDir}`);
  let ok = await checkCameras(cfg, opts, print);
  ok = printOutcome(print, 'broker', await checkBroker(cfg, opts.timeoutMs)) && ok;
  const ctrl = await checkController(cfg, opts.timeoutMs);
  if (ctrl) ok = printOutcome(print, 'controller', ctrl) && ok;
  ok = printOutcome(print, 'model', await checkModel(cfg)) && ok;
  print(ok ? 'all checks passed' : 'LW_AGENT_CHECK_FAILED: at least one check failed (see above)');
  return ok;
}
