/**
 * Idle worker threads (the event encoder, an inference session nobody ran a frame on) must not keep the agent's
 * process alive: a listener added after `unref()` refs a worker's port again, which once left a test file (and an
 * agent whose camera never delivered a frame) running forever after its work was done.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const CHILD = fileURLToPath(new URL('./fixtures/idle-workers.ts', import.meta.url));
const LIMIT_MS = 60_000;

test('a process whose encode and inference workers sit idle exits by itself', async () => {
  // As the test runner starts test files: workspace libraries from their TypeScript source (no build needed).
  const child = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', CHILD], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  assert.match(out, /opened/, 'the child opened its workers');
  assert.equal(signal, null, `the child was still running after ${LIMIT_MS / 1000} s (killed)`);
  assert.equal(code, 0);
});
