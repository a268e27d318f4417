/**
 * A line whose every score is known, for the calibration and drift end-to-end tests: a controller `build()` with its
 * embedded broker, an admin session, one device provisioned through the admin API, a signed tiny model (score =
 * |grey/127.5 − 1|) and a camera cycling 20 grey levels whose lamp can be dimmed.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions } from '@linewatch/agent';
import { build as buildController, type App } from '@linewatch/controller';
import { createImage } from '@linewatch/vision';
import { makeSigner } from './field-install-model.js';

/** 20 grey levels: scores |v/127.5 − 1| from 0.02 (v 125) to 0.76 (v 30), each once per cycle. */
export const LEVELS = Array.from({ length: 20 }, (_, i) => 30 + 5 * i);
export const scoreOf = (v: number): number => Math.abs((v / 255 - 0.5) / 0.5);

type Source = ReturnType<NonNullable<BuildOptions['sourceFactory']>>;
type Sink = Parameters<Source['start']>[0];

/** Cycles uniform grey frames at 20 fps; `light` scales every level (1 = as calibrated, 0.5 = a weaker lamp, 0 = off). */
export class GreyCamera implements Source {
  readonly width = 32;
  readonly height = 32;
  readonly fps = 20;
  light = 1;
  private timer: NodeJS.Timeout | undefined;
  private i = 0;
  constructor(readonly camera: string) {}
  start(sink: Sink): void {
    const tick = (): void => {
      const v = Math.round(LEVELS[this.i++ % LEVELS.length]! * this.light);
      sink.frame(createImage(32, 32, [v, v, v]));
      this.timer = setTimeout(tick, 1000 / this.fps);
    };
    this.timer = setTimeout(tick, 0);
  }
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
  }
}

export interface GreyLine {
  readonly app: App;
  /** Admin session headers (cookie + CSRF token) for `app.inject`. */
  readonly headers: Record<string, string>;
  /** The provisioned device's MQTT credentials. */
  readonly credentials: { username: string; password: string };
  /** The signed model's registry version; `dir/model.tar` and `dir/trusted.pem` hold the package and its key. */
  readonly registryVersion: string;
}

/** Starts the controller in `dir` and provisions `device` on `site`/`line`; the caller closes `app`. */
export async function startGreyLine(
  dir: string,
  device: { id: string; name: string; site: string; line: string },
): Promise<GreyLine> {
  const signer = makeSigner(join(dir, 'keys'));
  const { tar, registryVersion } = await signer.sign('1.0.0', 1, 1);
  writeFileSync(join(dir, 'model.tar'), tar);
  writeFileSync(join(dir, 'trusted.pem'), signer.publicKeyPem);
  let adminPassword = '';
  const app = await buildController({
    storage: 'configured',
    logger: false,
    overrides: {
      dataDir: join(dir, 'controller'),
      http: { docs: false },
      mqtt: { enabled: true, mode: 'embedded', host: '127.0.0.1', port: 0 },
    },
    onBootstrap: (c) => {
      adminPassword = c.password;
    },
  });
  try {
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: adminPassword },
    });
    const cookie = login.cookies.find((x) => x.name === 'lw_session')!;
    const headers = {
      cookie: `lw_session=${cookie.value}`,
      'x-csrf-token': login.json<{ csrfToken: string }>().csrfToken,
    };
    const created = await app.inject({ method: 'POST', url: '/api/devices', headers, payload: device });
    assert.equal(created.statusCode, 201, created.body);
    const { credentials } = created.json<{ credentials: { username: string; password: string } }>();
    return { app, headers, credentials, registryVersion };
  } catch (e) {
    await app.close();
    throw e;
  }
}
