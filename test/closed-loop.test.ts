/**
 * The closed loop, every piece real and on loopback: a normal-only parent (tiny preset) registered in the
 * controller → two agents on synthetic cameras flag frames → QA labels go in through the API (masks from the
 * generator's ground truth, false alarms rejected; every distinct camera frame exactly once, so the label set is
 * fixed by the seeds, not by which frames a loaded machine happened to flag) → an admin enqueues a fine-tune → a real `linewatch-trainer worker`
 * process claims it, trains from the parent, evaluates both on the held-out part and uploads the signed package →
 * the registry finds it better (held-out pixel AUROC above the parent's) and eligible → approval starts a staged
 * rollout (canary, then a wave) → every agent reports the new version live, and no frame was lost across the swap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build as buildAgent, parseConfig, type Agent } from '@linewatch/agent';
import { build as buildController, type App } from '@linewatch/controller';
import { generateSigningKeys, packPackage, readPackage, verifyPackage, loadPublicKey } from '@linewatch/model-package';
import { COMMANDS, runCli, silentProgress } from '@linewatch/trainer';
import { toPublication } from '@linewatch/protocol';
import { ApiClient } from '@linewatch/protocol/client';
import {
  ApproveModelRoute,
  CreateDeviceRoute,
  CreateJobRoute,
  FleetRoute,
  GetDatasetRoute,
  GetEventBlobRoute,
  GetJobRoute,
  GetModelRoute,
  GetRolloutRoute,
  LabelEventRoute,
  PutMaskRoute,
  UploadModelRoute,
  type RolloutDetailBody,
} from '@linewatch/protocol/http';
import { encodeMaskPng } from '@linewatch/vision';
import {
  allEvents,
  cameraFrames,
  matchFrame,
  spawnWorker,
  writeNormalSurfaces,
  type CameraSpec,
  type TruthFrame,
} from './closed-loop-helpers.js';
import { waitFor } from './helpers.js';

const SITE = 'plant-loop';
const LINE = 'line-loop';
const DEVICES = ['edge-a', 'edge-b'] as const;
const CAMERA = 'cam-1';
const SPEC: Omit<CameraSpec, 'seed'> = { width: 128, height: 96, defectRate: 0.35, distinctFrames: 60 };
const FPS = 6;
const WORKER_TOKEN = 'closed-loop-e2e-worker-token-0123456789';

test(
  'QA labels → fine-tune job on a worker process → better, eligible version → staged rollout live on every agent, no frame lost',
  { timeout: 600_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-closed-loop-'));
    const t0 = Date.now();
    const step = (what: string): void => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    let app: App | undefined;
    const agents: Agent[] = [];
    let worker: ReturnType<typeof spawnWorker> | undefined;
    try {
      // 1. Keys and the normal-only parent.
      const keys = generateSigningKeys(join(dir, 'keys'));
      // The first model was trained before the line ran, on a dozen sample surfaces of a similar material (brushed
      // rather than the line's grain): it catches defects but raises false alarms and localises poorly on the line's
      // own frames — what QA's labels (masks, rejected false alarms) should fix.
      await writeNormalSurfaces(join(dir, 'normal'), SPEC, 12, 'brushed');
      const parentDir = join(dir, 'parent');
      let trainErr = '';
      const code = await runCli(
        COMMANDS,
        // 12 images keep 1 from training to calibrate on: below the CLI's default minimum, accepted here on purpose.
        [
          'train',
          '--data',
          join(dir, 'normal'),
          '--preset',
          'tiny',
          '--out',
          parentDir,
          '--key',
          keys.privateKeyPath,
          '--min-calibration-normals',
          '1',
        ],
        {
          stdout: { write: () => true },
          stderr: { write: (s: string) => ((trainErr += s), true) },
          progress: silentProgress,
        },
      );
      assert.equal(code, 0, trainErr);
      const parentManifest = verifyPackage(parentDir, [loadPublicKey(keys.publicKeyPath)]).manifest;
      const parentVersion = `${parentManifest.version}+${parentManifest.build}`;
      step('parent trained');

      // 2. Controller on loopback HTTP (agents download packages for real, the worker is another process).
      let adminPassword = '';
      app = await buildController({
        storage: 'configured',
        logger: process.env['LW_TEST_LOG'] ? { level: process.env['LW_TEST_LOG'] } : false,
        overrides: {
          dataDir: join(dir, 'controller'),
          http: { docs: false },
          mqtt: { enabled: true, mode: 'embedded', host: '127.0.0.1', port: 0 },
          ingest: { flushIntervalMs: 500, ackMaxDelayMs: 5 },
          // Half of the 120 labelled frames are held out (~60, split by the controller's hash of its own random event
          // ids, so the split differs per run): with the default quarter (~30) and the flagged frames only (~19), one
          // run in a few dozen came out ineligible on image AUROC. Measured over 14-40 random splits of the same
          // labels (worker pipeline, same parent): candidate − parent image AUROC 0.016 ± 0.015 here (min −0.015)
          // vs 0.035 ± 0.040 (min −0.032) before; pixel AUROC gain 0.013 ± 0.003 (min 0.007) vs 0.015 ± 0.011 (min 0.002).
          jobs: { workerToken: WORKER_TOKEN, leaseMs: 30_000, autoTriggerMinMasks: null, heldOutFraction: 0.5 },
          // One swapped pair of ~60 held-out images moves image AUROC by ~0.001-0.01, still beyond the default 0.005
          // tolerance meant for a few hundred items. The issue's criterion (pixel AUROC strictly better) is asserted
          // below without tolerance.
          // ~40 held-out normals cannot show a false-alarm rate "not worse" within the default 1 % (that needs ~400;
          // the intervals are unit-tested in libs/metrics and the registry tests): this loop's line is small, so its
          // tolerance and per-class minimum are sized for it, and the verdict still comes from the intervals.
          registry: {
            trustedKeys: [keys.publicKeyPath],
            aurocTolerance: 0.05,
            falseAlarmTolerance: 0.2,
            minHeldOutPerClass: 10,
          },
          rollouts: { enabled: true, tickMs: 100 },
        },
        onBootstrap: (c) => {
          adminPassword = c.password;
        },
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      assert.ok(address && typeof address === 'object');
      const base = `http://127.0.0.1:${address.port}`;
      const admin = await ApiClient.login({ baseUrl: base }, 'admin', adminPassword);
      const registered = await admin.call(UploadModelRoute, {
        query: { line: LINE },
        body: packPackage(readPackage(parentDir), true),
        contentType: 'application/x-tar',
      });
      assert.equal(registered.version, parentVersion);

      // 3. Two agents on the line, each camera cycling through its distinct frames (about a third defective).
      const truth = new Map<string, TruthFrame[]>(
        DEVICES.map((d) => [d, cameraFrames(CAMERA, { ...SPEC, seed: `loop-${d}` })]),
      );
      // To collect review data, the operator runs the first model at threshold 0 — every frame goes to review — for
      // that model version only: a fine-tuned version goes live with its own calibrated threshold.
      const broker = app.broker!;
      const setParentThreshold = async (threshold: number, revision: number): Promise<void> => {
        for (const device of DEVICES) {
          const msg = { camera: CAMERA, threshold, revision, modelVersion: parentVersion, ts: Date.now() };
          await broker.publish(toPublication('threshold', { site: SITE, line: LINE, device, camera: CAMERA }, msg));
        }
      };
      await setParentThreshold(0, 1);
      for (const device of DEVICES) {
        const created = await admin.call(CreateDeviceRoute, {
          body: { id: device, name: device, site: SITE, line: LINE },
        });
        const agent = await buildAgent({
          config: parseConfig({
            site: SITE,
            line: LINE,
            device,
            broker: {
              url: `mqtt://127.0.0.1:${app.broker!.port}`,
              username: created.credentials.username,
              password: created.credentials.password,
              reconnectMs: 200,
            },
            cameras: [
              {
                id: CAMERA,
                source: {
                  kind: 'synthetic',
                  width: SPEC.width,
                  height: SPEC.height,
                  fps: FPS,
                  seed: `loop-${device}`,
                  defectRate: SPEC.defectRate,
                  distinctFrames: SPEC.distinctFrames,
                },
              },
            ],
            inference: { executionProviders: ['cpu'], intraOpThreads: 1, warmUpRuns: 1 },
            model: { trustedKeyPath: keys.publicKeyPath, initialPackage: parentDir },
            dataDir: join(dir, 'agents', device),
            healthIntervalS: 1,
            // No sampled normal frames: which unflagged frame gets sampled depends on timing, and the fine-tune's data
            // must be exactly the labelled frames.
            normalSampleIntervalS: 0,
            logLevel: (process.env['LW_TEST_LOG'] as 'debug' | undefined) ?? 'silent',
          }),
        });
        agents.push(agent);
        agent.start();
      }

      step('agents started');
      // 4. QA reviews the flagged frames: defects confirmed with the generator's mask, false alarms rejected (they
      // become normal training data). Each distinct picture is labelled once — a second copy of the same frame could
      // land in the held-out part and flatter the metrics — and review goes on until every distinct frame of both
      // cameras is labelled: a dropped frame only delays that, so the label set is the same on every run.
      const labelled = new Map<string, Set<number>>(DEVICES.map((d) => [d, new Set<number>()]));
      const seen = new Set<string>();
      let masks = 0;
      let rejects = 0;
      const normalScores: number[] = [];
      await waitFor(
        'every distinct camera frame labelled once',
        async () => {
          for (const device of DEVICES) {
            const done = labelled.get(device)!;
            for (const e of await allEvents(admin, device)) {
              if (e.labelStatus !== 'pending' || seen.has(e.id)) continue;
              seen.add(e.id);
              const jpeg = await admin.call(GetEventBlobRoute, { params: { id: e.id, blob: 'frame' } });
              const m = await matchFrame(jpeg, truth.get(device)!);
              assert.ok(
                m.error < 60 && m.error < m.runnerUp / 4,
                `event ${e.id} matches frame ${m.frame.k} (error ${m.error}, next ${m.runnerUp})`,
              );
              if (done.has(m.frame.k)) continue;
              done.add(m.frame.k);
              if (m.frame.defective) {
                await admin.call(PutMaskRoute, { params: { id: e.id }, body: await encodeMaskPng(m.frame.mask) });
                masks++;
              } else {
                await admin.call(LabelEventRoute, { params: { id: e.id, action: 'reject' }, body: null });
                rejects++;
                normalScores.push(e.score);
              }
            }
          }
          return DEVICES.every((d) => labelled.get(d)!.size === SPEC.distinctFrames) ? true : undefined;
        },
        120_000,
        500,
      );
      const defects = DEVICES.reduce((n, d) => n + truth.get(d)!.filter((f) => f.defective).length, 0);
      assert.equal(masks, defects, 'every defective frame confirmed with its mask');
      assert.equal(
        rejects,
        DEVICES.length * SPEC.distinctFrames - defects,
        'every normal frame rejected as a false alarm',
      );
      // The fine-tune calibrates on a tenth of its normal frames, so it needs ≥ 10 of them after the held-out split.
      assert.ok(masks >= 8 && rejects >= 40, `${masks} masks, ${rejects} rejections (the seeds give 39 and 81)`);
      // Review data is in: the operator moves the first model to its median score on the rejected frames, so the line
      // flags about half its frames again while the fine-tune runs and the new version rolls out. (At threshold 0 every
      // frame is encoded, sent and stored — in this one process — a load that made an agent drop a frame during the
      // model swap on a busy machine.)
      await setParentThreshold(normalScores.sort((a, b) => a - b)[Math.floor(normalScores.length / 2)]!, 2);

      step('labels posted');
      // 5. Fine-tune job, run by a real worker process.
      const job = await admin.call(CreateJobRoute, { body: { line: LINE } });
      assert.equal(job.parentVersion, parentVersion, 'fine-tunes from what the line runs');
      const snapshot = await admin.call(GetDatasetRoute, { params: { id: job.datasetSnapshotId } });
      const { train, heldout } = snapshot.counts;
      assert.deepEqual(
        [train.px + heldout.px, train.img + heldout.img, train.normal + heldout.normal],
        [masks, 0, rejects],
        'the snapshot holds exactly the labels',
      );
      worker = spawnWorker({
        controller: base,
        token: WORKER_TOKEN,
        key: keys.privateKeyPath,
        workDir: join(dir, 'worker'),
        id: 'e2e-worker',
        // A small line: ~40 normals the candidate does not train on (the default minimum of 50 is for real lines).
        minCalibrationNormals: 30,
      });
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        worker.done,
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 240_000))),
      ]);
      clearTimeout(timer);
      assert.equal(exit, 0, `worker: ${worker.output()}`);
      step('worker finished');
      const finished = await admin.call(GetJobRoute, { params: { id: job.id } });
      assert.equal(finished.status, 'succeeded', `${finished.errorCode}: ${finished.errorMessage}`);
      assert.equal(finished.resultVersion, job.targetVersion);
      const metrics = finished.metrics!;
      assert.ok(metrics.parent, 'parent measured on the same held-out set');
      assert.ok(
        metrics.candidate.n === heldout.px + heldout.normal && metrics.candidate.n === metrics.parent.n,
        JSON.stringify(metrics),
      );
      assert.ok(
        metrics.candidate.pixelAuroc !== null &&
          metrics.parent.pixelAuroc !== null &&
          metrics.candidate.pixelAuroc > metrics.parent.pixelAuroc,
        `held-out pixel AUROC improves: ${JSON.stringify(metrics)}`,
      );
      t.diagnostic(`labels: ${masks} masks, ${rejects} rejections; held-out metrics ${JSON.stringify(metrics)}`);
      const newVersion = finished.resultVersion!;
      const model = await admin.call(GetModelRoute, { params: { version: newVersion } });
      assert.equal(model.eligible, true, model.eligibility);
      assert.equal(model.parentVersion, parentVersion);
      assert.equal(model.jobId, job.id);
      assert.ok(model.datasetSnapshotId, 'lineage: model ← dataset snapshot');

      // 6. Approve → staged rollout: canary of one, then a wave.
      const cams = agents.map((a) => a.pipeline.cameras.get(CAMERA)!);
      const droppedBefore = cams.map((c) => c.slot.dropped);
      const approved = await admin.call(ApproveModelRoute, {
        params: { version: newVersion },
        body: {
          // Both agents share this test's event loop, so one agent's model swap (session load on the main thread) shows
          // up in the other's latency p99: the latency gate gets slack here; every other gate runs at its defaults.
          policy: {
            canaryDevices: 1,
            waveDevices: 1,
            observeS: 3,
            minFrames: 4,
            minWaveIntervalS: 0,
            minBaselineFrames: 4,
            installTimeoutS: 60,
            shadow: null,
            latencySlackMs: 1000,
          },
        },
      });
      const rolloutId = approved.rolloutId;
      assert.ok(rolloutId);
      let last: RolloutDetailBody | undefined;
      const rollout = await waitFor(
        'rollout finished',
        async () => {
          last = await admin.call(GetRolloutRoute, { params: { id: rolloutId } });
          return ['completed', 'aborted', 'rolled-back', 'rolling-back'].includes(last.rollout.state)
            ? last
            : undefined;
        },
        120_000,
        250,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}; decisions: ${JSON.stringify(last?.decisions)}`);
      });
      assert.equal(
        rollout.rollout.state,
        'completed',
        `rollout ${rollout.rollout.state}: ${rollout.rollout.reason}; ${JSON.stringify(rollout.decisions.map((d) => d.reason))}`,
      );
      step('rollout completed');
      const actions = rollout.decisions.map((d) => d.action);
      t.diagnostic(`rollout: ${rollout.decisions.map((d) => `${d.action}: ${d.reason}`).join(' | ')}`);
      assert.ok(
        actions.indexOf('canary-started') >= 0 && actions.indexOf('canary-started') < actions.indexOf('wave-started'),
        actions.join(','),
      );
      assert.deepEqual(new Set(rollout.targets.map((t) => t.wave)), new Set([0, 1]));
      assert.ok(rollout.targets.every((t) => t.state === 'live'));

      // 7. Every agent reports the new version live (its own pipeline and the fleet view).
      for (const a of agents) assert.equal(a.pipeline.model.version, newVersion);
      await waitFor(
        'fleet shows every device on the new version',
        async () => {
          const fleet = await admin.call(FleetRoute);
          return DEVICES.every((d) => fleet.devices.find((x) => x.deviceId === d)?.modelVersion === newVersion)
            ? true
            : undefined;
        },
        20_000,
        200,
      );

      // Let the new model flag a few frames on every camera, then stop the cameras and account for every frame.
      await waitFor(
        'frames flagged by the new model on every camera',
        async () => {
          for (const d of DEVICES)
            if ((await allEvents(admin, d)).filter((e) => e.modelVersion === newVersion).length < 2) return undefined;
          return true;
        },
        30_000,
        250,
      );
      for (const a of agents) for (const s of a.sources.values()) await s.stop();
      for (const [i, a] of agents.entries()) {
        const cam = cams[i]!;
        const device = DEVICES[i]!;
        const idle = (): boolean =>
          cam.slot.delivered === cam.scored + cam.slot.dropped + cam.invalid && cam.encoding === 0;
        const events = await waitFor(
          `${device}: idle, outbox drained, every flagged frame stored`,
          async () => {
            if (!idle() || a.outbox.depth !== 0) return undefined;
            const evs = await allEvents(admin, device);
            return evs.length === cam.flagged ? evs : undefined;
          },
          30_000,
          200,
        );
        assert.equal(cam.slot.dropped, droppedBefore[i], `${device}: no frame dropped across the swap`);
        const seqs = events.map((e) => e.sequence).sort((x, y) => x - y);
        assert.equal(seqs.at(-1)! - seqs[0]! + 1, seqs.length, `${device}: event sequence has no gap`);
        // One switch from the parent to the new version, never back: the swap happened between two frames.
        const versions = events.sort((x, y) => x.sequence - y.sequence).map((e) => e.modelVersion);
        const firstNew = versions.indexOf(newVersion);
        assert.ok(firstNew > 0, `${device}: frames on both versions`);
        assert.ok(
          versions.slice(0, firstNew).every((v) => v === parentVersion) &&
            versions.slice(firstNew).every((v) => v === newVersion),
          `${device}: one clean switch`,
        );
        t.diagnostic(
          `${device}: ${cam.scored} frames scored, ${cam.slot.dropped} dropped, ${events.length} events (${events.length - firstNew} on the new version)`,
        );
      }
      step('every frame accounted for');
    } finally {
      worker?.kill();
      for (const a of agents) await a.stop().catch((e: unknown) => console.error('agent stop failed', e));
      await app?.close().catch((e: unknown) => console.error('controller close failed', e));
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
