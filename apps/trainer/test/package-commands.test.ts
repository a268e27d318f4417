import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writePackageDir } from '@linewatch/model-package';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { silentProgress } from '../src/progress.js';
import { Capture, makeFixture, packageEntries, type Fixture } from './fixtures.js';

let fx: Fixture;
before(() => {
  fx = makeFixture();
});
after(() => rmSync(fx.dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: fx.dir });
  return { code, out: stdout.text, err: stderr.text };
}

/** A copy of the good package with `edit` applied to it. */
function variant(name: string, edit: (dir: string) => void): string {
  const dir = join(fx.dir, name);
  cpSync(fx.pkg, dir, { recursive: true });
  edit(dir);
  return dir;
}

test('verify accepts the signed package and prints its manifest', async () => {
  const r = await cli(['verify', '--model', 'pkg', '--key', fx.publicKey]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /model: +tiny-test 1\.0\.0 \(build 3\)/);
  assert.match(r.out, /ok: package is valid/);
});

test('verify rejects tampered, truncated, unsigned and wrong-key packages with their codes (exit 3)', async () => {
  const tampered = variant('tampered', (d) => {
    const bytes = readFileSync(join(d, 'model.onnx'));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    writeFileSync(join(d, 'model.onnx'), bytes);
  });
  const truncated = variant('truncated', (d) =>
    writeFileSync(join(d, 'model.onnx'), readFileSync(join(d, 'model.onnx')).subarray(0, 20)),
  );
  const unsigned = variant('unsigned', (d) => rmSync(join(d, 'signature.json')));
  const edited = variant('edited', (d) => {
    const m = readFileSync(join(d, 'manifest.json'), 'utf8');
    writeFileSync(join(d, 'manifest.json'), m.replace('"1.0.0"', '"9.0.0"'));
  });
  const cases: [string, string, string][] = [
    [tampered, fx.publicKey, 'LW_PKG_DIGEST_MISMATCH'],
    [truncated, fx.publicKey, 'LW_PKG_SIZE_MISMATCH'],
    [unsigned, fx.publicKey, 'LW_PKG_UNSIGNED'],
    [edited, fx.publicKey, 'LW_PKG_BAD_SIGNATURE'],
    [fx.pkg, fx.otherPublicKey, 'LW_PKG_BAD_SIGNATURE'],
  ];
  for (const [model, key, code] of cases) {
    const r = await cli(['verify', '--model', model, '--key', key]);
    assert.equal(r.code, 3, `${model}: ${r.err}`);
    assert.match(r.err, new RegExp(`^error ${code}: `), model);
    assert.doesNotMatch(r.out, /ok: package is valid/);
  }
});

test('sign re-signs an edited package in place and to --out; verify then accepts it', async () => {
  const dir = join(fx.dir, 'resign');
  // A package whose model was replaced after signing and whose signature was dropped.
  writePackageDir(dir, packageEntries([{ path: 'model.onnx', data: fx.onnx }], fx.privateKey));
  writeFileSync(join(dir, 'model.onnx'), Buffer.concat([readFileSync(join(dir, 'model.onnx')), Buffer.from([0])]));
  rmSync(join(dir, 'signature.json'));
  assert.equal((await cli(['verify', '--model', 'resign', '--key', fx.publicKey])).code, 3);

  const copy = await cli(['sign', '--model', 'resign', '--key', fx.privateKey, '--out', 'resigned']);
  assert.equal(copy.code, 0, copy.err);
  assert.match(copy.out, /changed: +model\.onnx/);
  assert.equal((await cli(['verify', '--model', 'resigned', '--key', fx.publicKey])).code, 0);

  const inPlace = await cli(['sign', '--model', 'resign', '--key', fx.privateKey]);
  assert.equal(inPlace.code, 0, inPlace.err);
  assert.equal((await cli(['verify', '--model', 'resign', '--key', fx.publicKey])).code, 0);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    version: string;
    files: { bytes: number }[];
  };
  assert.equal(manifest.version, '1.0.0');
  assert.equal(manifest.files[0]!.bytes, fx.onnx.length + 1);

  const exists = await cli(['sign', '--model', 'resign', '--key', fx.privateKey, '--out', 'resigned']);
  assert.equal(exists.code, 2);
  assert.match(exists.err, /^error LW_TRAINER_EXISTS: /);
});

test('export packs a directory to .tar.gz and unpacks it again, verifying both ways', async () => {
  const packed = await cli(['export', '--model', 'pkg', '--out', 'out/pkg.tar.gz', '--key', fx.publicKey]);
  assert.equal(packed.code, 0, packed.err);
  assert.match(packed.out, /signature by [0-9a-f]{16} \+ digests/);
  const tar = join(fx.dir, 'out', 'pkg.tar.gz');
  assert.deepEqual([...readFileSync(tar).subarray(0, 2)], [0x1f, 0x8b]);
  assert.equal((await cli(['verify', '--model', tar, '--key', fx.publicKey])).code, 0);

  const unpacked = await cli(['export', '--model', tar, '--dir', 'unpacked']);
  assert.equal(unpacked.code, 0, unpacked.err);
  assert.match(unpacked.out, /digests only \(no --key: signature NOT checked\)/);
  assert.deepEqual(readFileSync(join(fx.dir, 'unpacked', 'model.onnx')), readFileSync(join(fx.pkg, 'model.onnx')));

  const broken = variant('broken', (d) => rmSync(join(d, 'model.onnx')));
  const r = await cli(['export', '--model', broken, '--out', 'broken.tar.gz']);
  assert.equal(r.code, 3);
  assert.match(r.err, /^error LW_PKG_FILE_MISSING: /);
  assert.equal(existsSync(join(fx.dir, 'broken.tar.gz')), false);
  const both = await cli(['export', '--model', 'pkg']);
  assert.equal(both.code, 2);
  assert.match(both.err, /^error LW_TRAINER_MISSING_FLAG: /);
});

test('keygen writes a usable key pair and refuses to overwrite it', async () => {
  const r = await cli(['keygen', '--out', 'newkeys']);
  assert.equal(r.code, 0, r.err);
  assert.equal(statSync(join(fx.dir, 'newkeys', 'signing-key.pem')).mode & 0o777, 0o600);
  const signed = await cli(['sign', '--model', 'pkg', '--key', 'newkeys/signing-key.pem', '--out', 'pkg-newkey']);
  assert.equal(signed.code, 0, signed.err);
  assert.equal((await cli(['verify', '--model', 'pkg-newkey', '--key', 'newkeys/signing-key.pub.pem'])).code, 0);
  assert.equal((await cli(['verify', '--model', 'pkg-newkey', '--key', fx.publicKey])).code, 3);
  const again = await cli(['keygen', '--out', 'newkeys']);
  assert.equal(again.code, 2);
  assert.match(again.err, /^error LW_TRAINER_EXISTS: /);
});

test('the installed bin runs verify as a child process with the right exit codes', async () => {
  const bin = resolve(fileURLToPath(new URL('../bin/linewatch-trainer.js', import.meta.url)));
  const run = promisify(execFile);
  const ok = await run(process.execPath, [bin, 'verify', '--model', fx.pkg, '--key', fx.publicKey], { cwd: fx.dir });
  assert.match(ok.stdout, /ok: package is valid/);
  await assert.rejects(
    run(process.execPath, [bin, 'verify', '--model', fx.pkg, '--key', fx.otherPublicKey], { cwd: fx.dir }),
    (e: { code?: number; stderr?: string }) => {
      assert.equal(e.code, 3);
      assert.match(e.stderr ?? '', /^error LW_PKG_BAD_SIGNATURE: /m);
      return true;
    },
  );
  await assert.rejects(
    run(process.execPath, [bin, 'verify', '--nope'], { cwd: fx.dir }),
    (e: { code?: number; stderr?: string }) => {
      assert.equal(e.code, 2);
      assert.match(e.stderr ?? '', /^error LW_TRAINER_UNKNOWN_FLAG: /m);
      return true;
    },
  );
});
