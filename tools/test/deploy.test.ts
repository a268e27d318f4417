/**
 * deploy/: the systemd units pass `systemd-analyze verify` with no warning (ExecStart pointed at a stub, since the
 * packaged bins are not installed here) and carry the service rules (dedicated user, state directory, restart,
 * hardening, environment file); compose.yaml parses and every service's Dockerfile, bind-mounted file and named
 * volume exists; the Dockerfiles' install script picks an app's tarball plus exactly the @linewatch libs it needs.
 * No Docker engine runs here: images are not built by this test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const deploy = join(root, 'deploy');
const UNITS = {
  'linewatch-agent.service': /\/linewatch-agent run --config \/etc\/linewatch\/agent\.json$/m,
  'linewatch-controller.service': /\/linewatch-controller --config \/etc\/linewatch\/controller\.json$/m,
  'linewatch-worker.service':
    /\/linewatch-trainer worker --controller \S+ --ca \/etc\/linewatch\/ca\.pem --key \S+ --work-dir \/var\/lib\/linewatch-worker/m,
} as const;
const RULES = [
  /^User=linewatch$/m,
  /^StateDirectory=linewatch-\w+$/m,
  /^Restart=always$/m,
  /^EnvironmentFile=-?\/etc\/linewatch\/\w+\.env$/m,
  /^NoNewPrivileges=yes$/m,
  /^ProtectSystem=strict$/m,
  /^ProtectHome=yes$/m,
  /^PrivateTmp=yes$/m,
  /^CapabilityBoundingSet=$/m,
  /^UMask=0077$/m,
  /^WantedBy=multi-user\.target$/m,
];
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test('systemd units: the service rules, and the bins and subcommands the packages install', () => {
  for (const [unit, exec] of Object.entries(UNITS)) {
    const text = readFileSync(join(deploy, 'systemd', unit), 'utf8');
    for (const rule of RULES) assert.match(text, rule, `${unit}: ${rule}`);
    assert.match(text, /^ExecStart=\/opt\/linewatch\/\w+\/node_modules\/\.bin\//m, unit);
    assert.match(text, exec, unit);
    assert.doesNotMatch(text, /rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED/, unit);
  }
});

test(
  'systemd units pass systemd-analyze verify without a warning',
  { skip: hasSystemdAnalyze ? false : 'systemd-analyze is not installed here' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-units-'));
    try {
      // verify insists the ExecStart binary exists; the packaged bins are not installed on a build machine.
      const stub = join(dir, 'stub-bin');
      writeFileSync(stub, '#!/bin/sh\nexit 0\n');
      chmodSync(stub, 0o755);
      for (const unit of Object.keys(UNITS)) {
        const text = readFileSync(join(deploy, 'systemd', unit), 'utf8').replace(
          /^ExecStart=\S+/m,
          `ExecStart=${stub}`,
        );
        writeFileSync(join(dir, unit), text);
      }
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...Object.keys(UNITS).map((u) => join(dir, u))], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      // Unknown keys and bad values are only warnings (exit 0): any output at all fails the check.
      assert.equal(r.stderr.trim(), '', r.stderr);
      // The check can fail: a misspelt value in a copy is reported.
      writeFileSync(
        join(dir, 'bad.service'),
        readFileSync(join(dir, 'linewatch-agent.service'), 'utf8').replace('Restart=always', 'Restart=sometimes'),
      );
      const bad = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'bad.service')], { encoding: 'utf8' });
      assert.match(bad.stderr, /restart specifier/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  volumes?: string[];
  depends_on?: Record<string, unknown>;
}

test('compose.yaml: services, their Dockerfiles, bind-mounted files and named volumes exist', async () => {
  // `yaml` is in node_modules through the dev tooling (v1 is CommonJS: its functions sit on the default export).
  type Parse = (text: string) => unknown;
  const mod = (await import('yaml')) as unknown as { parse?: Parse; default?: { parse: Parse } };
  const parse = mod.parse ?? mod.default!.parse;
  const compose = parse(readFileSync(join(deploy, 'compose.yaml'), 'utf8')) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(compose.services).sort(), ['controller', 'mosquitto', 'postgres', 'worker']);
  assert.match(compose.services['postgres']!.image!, /^postgres:/);
  assert.match(compose.services['mosquitto']!.image!, /^eclipse-mosquitto:2/);
  for (const [name, svc] of Object.entries(compose.services)) {
    if (svc.build) {
      const dockerfile = join(deploy, svc.build.context, svc.build.dockerfile);
      assert.ok(existsSync(dockerfile), `${name}: ${dockerfile}`);
      const text = readFileSync(dockerfile, 'utf8');
      assert.match(text, /^FROM node:22-slim$/m, name);
      assert.match(text, /apt-get install -y --no-install-recommends ffmpeg/, name);
    }
    for (const dep of Object.keys(svc.depends_on ?? {})) assert.ok(compose.services[dep], `${name} depends on ${dep}`);
    for (const v of svc.volumes ?? []) {
      const source = v.split(':')[0]!;
      if (source.startsWith('.')) {
        // ./certs and ./keys are made by the operator (deploy/README.md); everything else ships in deploy/.
        if (!['./certs', './keys'].includes(source)) assert.ok(existsSync(join(deploy, source)), `${name}: ${source}`);
      } else assert.ok(source in compose.volumes, `${name}: named volume ${source} is declared`);
    }
  }
  const mosquitto = readFileSync(join(deploy, 'mosquitto', 'mosquitto.conf'), 'utf8');
  assert.match(mosquitto, /^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m);
  assert.match(mosquitto, /^allow_anonymous false$/m);
  for (const app of ['agent', 'controller', 'worker']) {
    const text = readFileSync(join(deploy, 'docker', `Dockerfile.${app}`), 'utf8');
    const pkg = app === 'worker' ? 'trainer' : app;
    assert.match(text, new RegExp(`install-app\\.mjs ${pkg} /tmp/packages /opt/linewatch/${pkg}`), app);
  }
});

/** A tarball laid out like `npm pack`'s: package/package.json inside a gzipped tar. */
function fakeTarball(dir: string, name: string, deps: Record<string, string>): void {
  const stage = mkdtempSync(join(tmpdir(), 'lw-pkg-'));
  mkdirSync(join(stage, 'package'));
  writeFileSync(join(stage, 'package', 'package.json'), JSON.stringify({ name, version: '0.1.0', dependencies: deps }));
  const file = `${name.replace(/^@/, '').replace('/', '-')}-0.1.0.tgz`;
  const r = spawnSync('tar', ['-czf', join(dir, file), '-C', stage, 'package']);
  assert.equal(r.status, 0);
  rmSync(stage, { recursive: true, force: true });
}

test('install-app.mjs picks the app tarball and the closure of its @linewatch deps, nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-pkgs-'));
  const script = join(deploy, 'docker', 'install-app.mjs');
  try {
    fakeTarball(dir, '@linewatch/agent', { '@linewatch/inference': '^0.1.0', mqtt: '^5' });
    fakeTarball(dir, '@linewatch/inference', { '@linewatch/protocol': '^0.1.0', 'onnxruntime-node': '1' });
    fakeTarball(dir, '@linewatch/protocol', { typebox: '1' });
    fakeTarball(dir, '@linewatch/trainer', { '@linewatch/adtr': '^0.1.0' });
    fakeTarball(dir, '@linewatch/adtr', { '@tensorflow/tfjs': '4' });
    const r = spawnSync(process.execPath, [script, 'agent', dir, join(dir, 'out'), '--print'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const picked = r.stdout
      .trim()
      .split('\n')
      .map((p) => p.slice(dir.length + 1))
      .sort();
    assert.deepEqual(picked, [
      'linewatch-agent-0.1.0.tgz',
      'linewatch-inference-0.1.0.tgz',
      'linewatch-protocol-0.1.0.tgz',
    ]);
    rmSync(join(dir, 'linewatch-protocol-0.1.0.tgz'));
    const missing = spawnSync(process.execPath, [script, 'agent', dir, join(dir, 'out'), '--print'], {
      encoding: 'utf8',
    });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no tarball for @linewatch\/protocol/);
    assert.equal(readdirSync(dir).includes('out'), false, '--print installs nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
