/**
 * Drift alerts end to end (issue #20) with the real agent: a grey-level camera (known scores, as in
 * calibration.test.ts) is calibrated, then its lighting halves mid-run — the score distribution moves, and the
 * controller raises a score-drift alert (API and /metrics) naming the camera, when it started (within one 50-frame chunk of the change)
 * and by how much, with a suggestion; then the lamp goes off and the black frames raise a camera-fault alert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build as buildAgent, parseConfig, type Agent, type BuildOptions } from '@linewatch/agent';
import { build as buildController, type App } from '@linewatch/controller';
import { createImage } from '@linewatch/vision';
import { makeSigner } from './field-install-model.js';
import { waitFor } from './helpers.js';

const DEVICE = 'edge-drift';
const CAMERA = 'cam-1';
const LEVELS = Array.from({ length: 20 }, (_, i) => 30 + 5 * i);

type Source = ReturnType<NonNullable<BuildOptions['sourceFactory']>>;
type Sink = Parameters<Source['start']>[0];

/** Cycles grey frames; `light` scales every level (1 = as calibrated, 0.5 = a weaker lamp, 0 = lamp off). */
class LampCamera implements Source {
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

interface Alert {
  deviceId: string;
  camera: string;
  kind: string;
  startedAt: string;
  magnitude: number;
  medianShift: number | null;
  suggestion: string;
}

test(
  'a lighting change mid-run raises a drift alert; a dark camera a black-frame alert',
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-e2e-drift-'));
    let app: App | undefined;
    let agent: Agent | undefined;
    try {
      const signer = makeSigner(join(dir, 'keys'));
      const { tar, registryVersion } = await signer.sign('1.0.0', 1, 1);
      writeFileSync(join(dir, 'model.tar'), tar);
      writeFileSync(join(dir, 'trusted.pem'), signer.publicKeyPem);
      let adminPassword = '';
      app = await buildController({
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
      const ctrl = app;
      const login = await ctrl.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: adminPassword },
      });
      const cookie = login.cookies.find((x) => x.name === 'lw_session')!;
      const headers = {
        cookie: `lw_session=${cookie.value}`,
        'x-csrf-token': login.json<{ csrfToken: string }>().csrfToken,
      };
      const created = await ctrl.inject({
        method: 'POST',
        url: '/api/devices',
        headers,
        payload: { id: DEVICE, name: 'drift edge', site: 'plant-d', line: 'line-d' },
      });
      assert.equal(created.statusCode, 201, created.body);
      const { credentials } = created.json<{ credentials: { username: string; password: string } }>();
      const lamp = new LampCamera(CAMERA);
      agent = await buildAgent({
        config: parseConfig({
          site: 'plant-d',
          line: 'line-d',
          device: DEVICE,
          broker: { url: `mqtt://127.0.0.1:${ctrl.broker!.port}`, ...credentials, reconnectMs: 200 },
          cameras: [{ id: CAMERA, threshold: 1e9, source: { kind: 'synthetic', width: 32, height: 32, fps: 20 } }],
          inference: { executionProviders: ['cpu'], intraOpThreads: 1, warmUpRuns: 1 },
          model: { trustedKeyPath: join(dir, 'trusted.pem'), initialPackage: join(dir, 'model.tar') },
          dataDir: join(dir, 'agent'),
          sketchIntervalS: 1, // one window = one cycle of the 20 levels
          normalSampleIntervalS: 0,
          logLevel: 'silent',
        }),
        sourceFactory: () => lamp,
      });
      agent.start();

      // 1. Calibrate on the normal lighting (the drift baseline is what the revision was calibrated on).
      const url = `/api/calibration/${DEVICE}/${CAMERA}`;
      const proposal = await waitFor(
        'a proposal',
        async () => {
          const res = await ctrl.inject({ method: 'GET', url: `${url}/proposal?targetFar=0.1`, headers });
          return res.statusCode === 200 ? res.json<{ proposedThreshold: number }>() : undefined;
        },
        30_000,
        200,
      );
      const approved = await ctrl.inject({
        method: 'POST',
        url: `${url}/thresholds`,
        headers,
        payload: { threshold: proposal.proposedThreshold, modelVersion: registryVersion, reason: 'baseline' },
      });
      assert.equal(approved.statusCode, 201, approved.body);
      const alerts = async (): Promise<Alert[]> =>
        (await ctrl.inject({ method: 'GET', url: '/api/drift/alerts', headers })).json<{
          alerts: Alert[];
        }>().alerts;
      // Same lighting after calibration: no alert once live windows exist.
      await new Promise((r) => setTimeout(r, 10_000));
      assert.deepEqual(await alerts(), []);

      // 2. The lamp weakens: darker frames score higher with this model (|v/127.5 − 1| grows as v falls).
      const changedAt = Date.now();
      lamp.light = 0.5;
      const drift = await waitFor(
        'a score-drift alert',
        async () => (await alerts()).find((a) => a.kind === 'score-drift'),
        30_000,
        250,
      );
      assert.equal(drift.deviceId, DEVICE);
      assert.equal(drift.camera, CAMERA);
      // Exact to within one chunk of ≥ 50 frames (3 one-second windows at 20 fps, more when a loaded machine drops
      // frames): well after the calibration, not at the start of the run.
      const started = Date.parse(drift.startedAt);
      assert.ok(
        started >= changedAt - 6000 && started <= Date.now(),
        `started ${drift.startedAt}, changed ${new Date(changedAt).toISOString()}`,
      );
      // By how much: PSI (magnitude) and the median's relative shift, one of them past its alert level.
      assert.ok(drift.medianShift !== null && drift.magnitude > 0, JSON.stringify(drift));
      assert.ok(drift.magnitude >= 0.25 || drift.medianShift >= 0.25, JSON.stringify(drift));
      assert.ok(['recalibrate', 'retrain'].includes(drift.suggestion));
      const metrics = (await ctrl.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(
        metrics,
        new RegExp(`lw_camera_alert\\{device="${DEVICE}",camera="${CAMERA}",kind="score-drift"\\} 1`),
      );
      assert.match(metrics, new RegExp(`lw_camera_drift_psi\\{device="${DEVICE}",camera="${CAMERA}"\\} \\d`));

      // 3. Lamp off: black frames.
      lamp.light = 0;
      const black = await waitFor(
        'a black-frame alert',
        async () => (await alerts()).find((a) => a.kind === 'black'),
        30_000,
        250,
      );
      assert.equal(black.suggestion, 'check the camera');
      assert.ok(black.magnitude >= 0.5);
    } finally {
      await agent?.stop().catch((e: unknown) => console.error('agent stop failed', e));
      await app?.close().catch((e: unknown) => console.error('controller close failed', e));
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
