/**
 * The real entry point (`src/main.ts`) as an operator starts it, configured by environment only: a field config
 * without TLS on a non-loopback address, or a non-loopback bind without registry.publicUrl, exits 1 with one coded
 * line before anything binds; with a certificate it serves HTTPS and MQTT over TLS on loopback, says so, and stops
 * cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { makeTestCa } from '@linewatch/testing';
import { freePort } from './helpers/controller-process.js';

const controllerDir = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lw-main-tls-'));
const ca = makeTestCa(join(dir, 'ca'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  exited: Promise<{ code: number | null; output: string }>;
  output: () => string;
  kill: (sig: NodeJS.Signals) => void;
}

function startMain(env: Record<string, string>, args: string[] = []): Run {
  const child = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', 'src/main.ts', ...args], {
    cwd: controllerDir,
    // Only what the test sets (plus PATH): no LW_* from the caller's shell.
    env: { PATH: process.env['PATH'] ?? '', LW_LOG_LEVEL: 'info', LW_HTTP_DOCS: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output: out });
    }),
  );
  return { exited, output: () => out, kill: (sig) => child.kill(sig) };
}

function healthz(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', ca: ca.caPem, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test(
  'field refusals: plaintext beyond loopback, and a non-loopback bind without publicUrl',
  { timeout: 90_000 },
  async () => {
    const tls = { LW_TLS_CERT_PATH: ca.certPath, LW_TLS_KEY_PATH: ca.keyPath };
    // The first through --config, the second through the environment.
    const fieldConfig = join(dir, 'field.json');
    writeFileSync(fieldConfig, JSON.stringify({ dataDir: join(dir, 'a'), http: { host: '0.0.0.0' } }));
    const [plain, noUrl] = await Promise.all([
      startMain({}, ['--config', fieldConfig]).exited,
      startMain({ LW_DATA_DIR: join(dir, 'b'), LW_HTTP_HOST: '0.0.0.0', ...tls }).exited,
    ]);
    assert.equal(plain.code, 1, plain.output);
    assert.match(
      plain.output,
      /^LW_CTRL_PLAINTEXT_REFUSED: refusing plaintext beyond loopback \(HTTP on 0\.0\.0\.0:8080\)/m,
    );
    assert.equal(noUrl.code, 1, noUrl.output);
    assert.match(noUrl.output, /^LW_CTRL_PUBLIC_URL_REQUIRED: http\.host 0\.0\.0\.0 /m);
  },
);

test(
  'with a certificate: HTTPS and MQTT over TLS on loopback, a clean stop on SIGTERM',
  { timeout: 90_000 },
  async () => {
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const run = startMain({
      LW_DATA_DIR: join(dir, 'c'),
      LW_HTTP_PORT: String(httpPort),
      LW_MQTT_PORT: String(mqttPort),
      LW_TLS_CERT_PATH: ca.certPath,
      LW_TLS_KEY_PATH: ca.keyPath,
      LW_TLS_CA_PATH: ca.caPath,
    });
    const started = Date.now();
    for (;;) {
      const status = await healthz(httpPort).catch(() => 0);
      if (status === 200) break;
      if (Date.now() - started > 45_000) {
        run.kill('SIGKILL');
        assert.fail(`no HTTPS /healthz:\n${run.output()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(run.output(), new RegExp(`Server listening at https://127\\.0\\.0\\.1:${httpPort}`));
    assert.match(run.output(), /"tls":true,"msg":"mqtt broker listening \(mqtts\)"/);
    run.kill('SIGTERM');
    const { code, output } = await run.exited;
    assert.equal(code, 0, output);
  },
);

test('command line: --help exits 0 with the exit codes, an unknown flag exits 2', { timeout: 90_000 }, async () => {
  const [help, bad] = await Promise.all([startMain({}, ['--help']).exited, startMain({}, ['--port', '1']).exited]);
  assert.equal(help.code, 0, help.output);
  assert.match(help.output, /^Usage: linewatch-controller \[--config <file>\]/);
  assert.match(help.output, /Exit codes:[\s\S]*LW_CTRL_PLAINTEXT_REFUSED/);
  assert.equal(bad.code, 2, bad.output);
  assert.match(bad.output, /Unknown option '--port'/);
});
