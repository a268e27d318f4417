/**
 * Field install (issue 17): `npm run build && npm run pack`, then the agent's and the controller's install folders
 * installed into two empty folders with `npm ci --omit=dev --offline` (npm's cache only, no dev dependencies), their
 * bins run on plain Node (`--help` exits 0), the agent's install carries no trainer-only weight, and the installed
 * controller starts from its bin on loopback with a fresh SQLite and answers /healthz; then, started with HTTPS and
 * MQTT over TLS (a throw-away openssl CA), an admin mints enrollment tokens through the API and the installed agent
 * enrolls with `--ca` (config 0600), while a wrong CA, a reused token and an expired token are each refused with
 * their code and exit status. Then a signed model is registered and rolled out to the line; the installed agent runs
 * from its bin with a video file and an RTSP loopback camera (threshold 0: every frame flagged), goes live on the model
 * over MQTT/TLS, its flagged events appear in the controller's API, and a second version rolls out to it (fast policy).
 *
 * Slow (a workspace build when nx's cache is cold, two installs): bounded by the test's timeout. Set
 * LW_FIELD_INSTALL_PACKAGES=<dir> to reuse the output of an earlier `npm run build && npm run pack -- --out <dir>`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeTestCa } from '@linewatch/testing';
import { ListEventsRoute, UploadModelRoute } from '@linewatch/protocol/http';
import { addCameras, fleetEntry, rollOut, runAgent, type RunningAgent } from './field-install-agent.js';
import { adminOver, freePort, type Admin } from './field-install-enroll.js';
import { makeSigner } from './field-install-model.js';
import { hasFfmpeg, makeClip, rtspCamera } from '@linewatch/testing/rtsp';
import { waitFor } from './helpers.js';
import {
  binOf,
  buildAndPack,
  installApp,
  localPrebuilds,
  run,
  sizeMb,
  startController,
  type Started,
} from './field-install-helpers.js';

const AGENT_SIZE_LIMIT_MB = 400;

test(
  'field install: packed agent and controller install --omit=dev --offline and run from their bins',
  {
    timeout: 30 * 60_000,
  },
  async (t) => {
    const tmp = mkdtempSync(join(tmpdir(), 'lw-field-'));
    t.after(() => rmSync(tmp, { recursive: true, force: true }));
    const packages = process.env['LW_FIELD_INSTALL_PACKAGES'] ?? buildAndPack(join(tmp, 'packages'));
    const index = JSON.parse(readFileSync(join(packages, 'index.json'), 'utf8')) as { apps: Record<string, string[]> };
    assert.ok(
      !index.apps['@linewatch/agent']?.some((f) => /backbones|adtr|graph|datasets/.test(f)),
      'the agent installs no training lib',
    );

    const agent = join(tmp, 'agent');
    installApp(packages, 'agent', agent);
    const controller = join(tmp, 'controller');
    const prebuilds = localPrebuilds(join(tmp, 'prebuilds'));
    installApp(
      packages,
      'controller',
      controller,
      prebuilds ? { npm_config_better_sqlite3_local_prebuilds: prebuilds } : {},
    );

    await t.test('the installed bins print their help and exit 0 (plain Node, no tsx)', () => {
      for (const [dir, app] of [
        [agent, 'agent'],
        [controller, 'controller'],
      ] as const) {
        const r = run(binOf(dir, app), ['--help'], { cwd: dir, timeoutMs: 30_000 });
        assert.match(r.stdout, new RegExp(`linewatch-${app}`), `${app} --help names the program`);
        assert.ok(!existsSync(join(dir, 'node_modules', 'tsx')), `${app}: tsx is not installed`);
        assert.ok(!existsSync(join(dir, 'node_modules', 'typescript')), `${app}: typescript is not installed`);
        assert.ok(!existsSync(join(dir, 'node_modules', '@linewatch', app, 'src')), `${app}: no sources shipped`);
      }
    });

    await t.test('the agent carries no trainer-only weight and stays under the size target', () => {
      const nm = join(agent, 'node_modules');
      for (const heavy of ['@tensorflow', 'nsfwjs', '@linewatch/backbones', '@linewatch/adtr', 'prisma', 'aedes'])
        assert.ok(!existsSync(join(nm, heavy)), `agent install has no ${heavy}`);
      const mb = sizeMb(nm);
      t.diagnostic(
        `installed agent node_modules: ${mb} MB; controller: ${sizeMb(join(controller, 'node_modules'))} MB`,
      );
      assert.ok(mb <= AGENT_SIZE_LIMIT_MB, `agent node_modules is ${mb} MB (target ≤ ${AGENT_SIZE_LIMIT_MB} MB)`);
    });

    await t.test('the installed controller starts from its bin with a fresh SQLite and answers /healthz', async () => {
      assert.ok(!existsSync(join(controller, 'node_modules', 'prisma')), 'no prisma CLI at run time');
      const dataDir = join(tmp, 'controller-data');
      mkdirSync(dataDir);
      const started = await startController(binOf(controller, 'controller'), tmp, {
        LW_DATA_DIR: dataDir,
        LW_HTTP_HOST: '127.0.0.1',
        LW_HTTP_PORT: '0',
        LW_MQTT_HOST: '127.0.0.1',
        LW_MQTT_PORT: '0',
        LW_LOG_LEVEL: 'info',
      });
      try {
        const res = await fetch(`${started.httpUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { ok: true });
        assert.ok(existsSync(join(dataDir, 'linewatch.db')), 'the SQLite file was created in the data folder');
      } finally {
        const code = await started.stop();
        assert.equal(code, 0, `controller exit code after SIGTERM:\n${started.output().slice(-2000)}`);
      }
    });

    // The controller over HTTPS + MQTT/TLS, the enrolled device and its running agent: shared by the subtests below.
    const signer = makeSigner(join(tmp, 'signing'));
    let tls: { started: Started; admin: Admin } | undefined;
    let agentRun: RunningAgent | undefined;
    t.after(async () => {
      await agentRun?.stop();
      await tls?.started.stop();
    });

    await t.test(
      'over HTTPS + MQTT/TLS: the installed agent enrolls; wrong CA, reused and expired tokens are refused',
      async () => {
        const ca = makeTestCa(join(tmp, 'ca'));
        const wrongCa = makeTestCa(join(tmp, 'wrong-ca'), { caName: 'not the controller CA' });
        const dataDir = join(tmp, 'controller-tls-data');
        mkdirSync(dataDir);
        // The model-signing public key devices are told to trust (handed out at enrollment): a file config, as in the field.
        const configFile = join(tmp, 'controller.json');
        writeFileSync(configFile, JSON.stringify({ registry: { trustedKeys: [signer.publicKeyPem] } }), {
          mode: 0o600,
        });
        const env = {
          LW_DATA_DIR: dataDir,
          LW_HTTP_PORT: '0',
          LW_MQTT_PORT: String(await freePort()),
          LW_TLS_CERT_PATH: ca.certPath,
          LW_TLS_KEY_PATH: ca.keyPath,
          LW_TLS_CA_PATH: ca.caPath,
        };
        const started = await startController(binOf(controller, 'controller'), tmp, env, ['--config', configFile]);
        assert.match(started.httpUrl, /^https:/);
        await waitFor(
          'the broker listening over TLS',
          () => (/mqtt broker listening \(mqtts\)/.test(started.output()) ? true : undefined),
          10_000,
        );
        const admin = await adminOver(started.httpUrl, ca.caPem, dataDir);
        tls = { started, admin };
        const shortLived = await admin.mint('box-late', 1);
        const mintedAt = Date.now();
        const token = await admin.mint('box-1', 30);
        const enroll = (tok: string, caPath: string, name: string) =>
          spawnSync(
            binOf(agent, 'agent'),
            [
              ...['enroll', '--controller', started.httpUrl, '--token', tok, '--ca', caPath],
              ...['--config', join(tmp, name, 'agent.json'), '--state', join(tmp, name, 'state')],
            ],
            { cwd: tmp, encoding: 'utf8', timeout: 60_000 },
          );
        const wrong = enroll(token, wrongCa.caPath, 'dev-wrong');
        assert.equal(wrong.status, 6, wrong.stdout + wrong.stderr);
        assert.match(wrong.stdout + wrong.stderr, /LW_AGENT_ENROLL_TLS/);
        const ok = enroll(token, ca.caPath, 'dev-1');
        assert.equal(ok.status, 0, ok.stdout + ok.stderr);
        assert.equal(statSync(join(tmp, 'dev-1', 'agent.json')).mode & 0o777, 0o600, 'config is owner-only');
        const reused = enroll(token, ca.caPath, 'dev-2');
        assert.equal(reused.status, 5, reused.stdout + reused.stderr);
        assert.match(reused.stdout + reused.stderr, /LW_CTRL_ENROLL_TOKEN_USED/);
        // The shortest validity is one minute: wait it out (rarely long: the steps above take most of it).
        await new Promise((r) => setTimeout(r, Math.max(0, mintedAt + 61_000 - Date.now())));
        const expired = enroll(shortLived, ca.caPath, 'dev-3');
        assert.equal(expired.status, 5, expired.stdout + expired.stderr);
        assert.match(expired.stdout + expired.stderr, /LW_CTRL_ENROLL_TOKEN_EXPIRED/);
      },
    );

    const noFfmpeg = hasFfmpeg ? false : 'ffmpeg is missing (the video file and RTSP cameras need it)';
    let deviceId = '';
    let v1 = '';

    await t.test(
      'a signed model reaches the enrolled agent, which streams a video file and an RTSP camera over MQTT/TLS; its flagged events reach the controller',
      { skip: noFfmpeg },
      async (st) => {
        assert.ok(tls, 'the TLS controller is running and the device enrolled');
        const admin = tls.admin.client;
        const pkg = await signer.sign('1.0.0', 1, 1);
        const registered = await admin.call(UploadModelRoute, {
          query: { line: 'line-1' },
          body: pkg.tar,
          contentType: 'application/x-tar',
        });
        v1 = registered.version;
        assert.equal(v1, pkg.registryVersion);
        const clip = makeClip(tmp, 160, 120);
        const rtsp = await rtspCamera(clip);
        st.after(() => rtsp.stop());
        // Threshold 0 on both cameras (the manifest's is 0.01): every frame is flagged, whatever the test pattern shows.
        const configPath = join(tmp, 'dev-1', 'agent.json');
        deviceId = addCameras(configPath, [
          { id: 'cam-video', source: { kind: 'video', path: clip, width: 160, height: 120, fps: 5 }, threshold: 0 },
          { id: 'cam-rtsp', source: { kind: 'rtsp', url: rtsp.url, width: 160, height: 120, fps: 5 }, threshold: 0 },
        ]);
        agentRun = runAgent(binOf(agent, 'agent'), configPath, tmp);
        const running = agentRun;
        const fail = (what: string) => (e: unknown) => {
          throw new Error(`${what}: ${String(e)}\nagent output:\n${running.output().slice(-3000)}`);
        };
        // No model yet: the agent connects over MQTT/TLS and waits for the controller's desired model.
        await fleetEntry(admin, deviceId, 'the agent online', (e) => e.online, 90_000).catch(fail('online'));
        await rollOut(admin, v1, 120_000).catch(fail('first rollout'));
        await fleetEntry(admin, deviceId, `the agent live on ${v1}`, (e) => e.modelVersion === v1, 60_000).catch(
          fail('live on v1'),
        );
        const events = await waitFor(
          'flagged events from both cameras',
          async () => {
            const page = await admin.call(ListEventsRoute, { query: { deviceId, limit: 200 } });
            const cams = new Set(page.events.map((e) => e.camera));
            return cams.has('cam-video') && cams.has('cam-rtsp') ? page.events : undefined;
          },
          90_000,
          500,
        ).catch(fail('events'));
        assert.ok(events.every((e) => e.deviceId === deviceId && e.score > 0));
        assert.ok(rtsp.requests.includes('PLAY'), 'the agent played the RTSP stream');
        st.diagnostic(
          `${events.length} flagged events, ${events.filter((e) => e.camera === 'cam-rtsp').length} from RTSP`,
        );
      },
    );

    await t.test('a new model version rolls out to the installed agent', { skip: noFfmpeg }, async () => {
      assert.ok(tls && agentRun && v1, 'the agent runs the first version');
      const admin = tls.admin.client;
      const pkg = await signer.sign('1.1.0', 2, 0.9);
      const registered = await admin.call(UploadModelRoute, {
        query: { line: 'line-1' },
        body: pkg.tar,
        contentType: 'application/x-tar',
      });
      assert.equal(registered.version, pkg.registryVersion);
      const running = agentRun;
      const fail = (what: string) => (e: unknown) => {
        throw new Error(`${what}: ${String(e)}\nagent output:\n${running.output().slice(-3000)}`);
      };
      await rollOut(admin, registered.version, 120_000).catch(fail('rollout'));
      await fleetEntry(
        admin,
        deviceId,
        'the agent live on the new version',
        (e) => e.modelVersion === pkg.registryVersion,
        60_000,
      ).catch(fail('live on v2'));
      await waitFor(
        'events scored by the new version',
        async () => {
          const page = await admin.call(ListEventsRoute, {
            query: { deviceId, modelVersion: pkg.registryVersion, limit: 10 },
          });
          return page.events.length > 0 ? true : undefined;
        },
        60_000,
        500,
      ).catch(fail('events on v2'));
    });

    await t.test('the installed agent and controller stop cleanly on SIGTERM', async () => {
      assert.ok(tls, 'the TLS controller is running');
      if (agentRun) {
        const out = agentRun.output;
        assert.equal(await agentRun.stop(), 0, `agent exit code after SIGTERM:\n${out().slice(-2000)}`);
      }
      const code = await tls.started.stop();
      assert.equal(code, 0, `controller exit code after SIGTERM:\n${tls.started.output().slice(-2000)}`);
    });
  },
);
