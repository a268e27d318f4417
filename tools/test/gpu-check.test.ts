/**
 * tools/gpu-check.sh, on a machine without a GPU: it parses (bash -n); --dry-run prints every step's command with
 * --providers cuda and the GPU ordinal, writing nothing; bad arguments exit 2; the CUDA run fails at preflight with
 * exit 1 and says so in gpu-check.json; and every step after preflight (data, keygen, train, agent bench, parity)
 * runs for real with `--provider cpu`, so the script keeps working where no GPU is at hand. The CUDA run itself
 * needs a GPU host (deploy/README.md, "GPU hosts").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const script = join(root, 'tools', 'gpu-check.sh');
const run = (args: string[], timeout = 30_000) =>
  spawnSync('bash', [script, ...args], { cwd: root, encoding: 'utf8', timeout });

interface GpuCheck {
  ok: boolean;
  provider: string;
  steps: { name: string; ok: boolean; seconds: number }[];
  parity: { ok: boolean; maxScoreDiff: number; maxMapDiff: number } | null;
}
const hasGpu = spawnSync('nvidia-smi', ['-L']).status === 0;

test('gpu-check.sh parses, prints its plan on --dry-run and refuses bad arguments', () => {
  assert.equal(spawnSync('bash', ['-n', script]).status, 0);
  const dir = mkdtempSync(join(tmpdir(), 'lw-gpuc-'));
  try {
    const out = join(dir, 'never');
    const plan = run(['--dry-run', '--out', out, '--device-id', '1']);
    assert.equal(plan.status, 0, plan.stderr);
    for (const step of ['preflight', 'data', 'keygen', 'train', 'bench', 'parity'])
      assert.match(plan.stdout, new RegExp(`^  ${step} `, 'm'));
    assert.match(plan.stdout, /^ {2}train .* --preset tiny .*--providers cuda --device-id 1$/m);
    assert.match(plan.stdout, /^ {2}bench .*apps\/agent\/bench\/agent\.ts .*--providers cuda/m);
    assert.match(plan.stdout, /^ {2}parity .*--reference cpu --candidate cuda --device-id 1 --tolerance 1e-3$/m);
    assert.equal(existsSync(out), false, 'a dry run writes nothing');
    assert.equal(run(['--help']).status, 0);
    for (const bad of [['--bogus'], ['--provider', 'tpu'], ['--device-id', 'x'], ['--count', '3']])
      assert.equal(run(bad).status, 2, bad.join(' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'without a GPU the CUDA run fails at preflight with exit 1 and a result file',
  { skip: hasGpu ? 'this machine has a GPU: run tools/gpu-check.sh itself' : false },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-gpuc-'));
    try {
      const r = run(['--out', join(dir, 'out')]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      const result = JSON.parse(readFileSync(join(dir, 'out', 'gpu-check.json'), 'utf8')) as GpuCheck;
      assert.equal(result.ok, false);
      assert.deepEqual(
        result.steps.map((s) => [s.name, s.ok]),
        [['preflight', false]],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('--provider cpu runs every step for real: data, keygen, train, agent bench, parity', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-gpuc-'));
  try {
    const out = join(dir, 'out');
    const r = run(['--provider', 'cpu', '--count', '12', '--bench-seconds', '2', '--out', out], 280_000);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const result = JSON.parse(readFileSync(join(out, 'gpu-check.json'), 'utf8')) as GpuCheck;
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.steps.map((s) => s.name),
      ['preflight', 'data', 'keygen', 'train', 'bench', 'parity'],
    );
    assert.ok(result.parity?.ok && result.parity.maxScoreDiff <= 1e-3 && result.parity.maxMapDiff <= 1e-3);
    assert.ok(existsSync(join(out, 'model', 'manifest.json')));
    assert.ok(existsSync(join(out, 'bench-agent.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
