/**
 * sign: re-signs a package directory — recomputes every file's digest and size into the manifest and signs it
 * again. For packages whose files were deliberately replaced (a re-exported model.onnx, new golden frames) or that
 * were never signed; it blesses whatever is in the folder, so it reports which files changed.
 */
import { createPublicKey } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  MANIFEST_FILE,
  SIGNATURE_FILE,
  buildPackage,
  loadPrivateKey,
  readPackage,
  sha256Hex,
  writePackageDir,
} from '@linewatch/model-package';
import { existingPath, freshPath, requireStr, str } from '../cli/args.js';
import type { Command } from '../cli/command.js';
import { TrainerError } from '../errors.js';
import { manifestSummary, parseManifestEntry } from '../package-io.js';

export const sign: Command = {
  name: 'sign',
  summary: 'Re-sign a package directory: rebuild the manifest file digests and the signature.',
  usage: 'sign --model <pkg dir> --key <private.pem> [--out <dir>]',
  flags: {
    model: { type: 'string', value: '<pkg dir>', description: 'package directory to sign', required: true },
    key: { type: 'string', value: '<private.pem>', description: 'Ed25519 private key', required: true },
    out: {
      type: 'string',
      value: '<dir>',
      description: 'write the signed package here (must not exist); default: replace --model in place',
    },
  },
  example: 'linewatch-trainer sign --model out/tile-1.2.0 --key keys/signing-key.pem',
  async run(values, ctx) {
    const dir = existingPath(requireStr(values, 'model'), 'model', ctx.cwd, 'dir');
    const privateKey = loadPrivateKey(existingPath(requireStr(values, 'key'), 'key', ctx.cwd, 'file'));
    const outFlag = str(values, 'out');
    const out = outFlag === undefined ? undefined : freshPath(outFlag, 'out', ctx.cwd);
    const entries = readPackage(dir);
    const old = parseManifestEntry(entries);
    // The draft is the old manifest minus what signing recomputes (files, signing).
    const { files: oldFiles, signing: _signing, ...draft } = old;
    const files = entries.filter((e) => e.path !== MANIFEST_FILE && e.path !== SIGNATURE_FILE);
    const signed = buildPackage(draft, files, privateKey, createPublicKey(privateKey));
    const changed = files
      .filter((f) => oldFiles.find((o) => o.path === f.path)?.sha256 !== sha256Hex(f.data))
      .map((f) => f.path);
    const removed = oldFiles.filter((o) => !files.some((f) => f.path === o.path)).map((o) => o.path);
    const target = out ?? dir;
    if (out) writePackageDir(out, signed);
    else replaceDir(dir, signed);
    const manifest = parseManifestEntry(signed);
    ctx.stdout.write(
      manifestSummary(manifest, {
        written: target,
        changed: changed.length > 0 ? changed.join(', ') : 'none (digests unchanged)',
        ...(removed.length > 0 ? { removed: removed.join(', ') } : {}),
      }),
    );
    return 0;
  },
};

/** Writes beside the old folder, then swaps with two renames so a crash never leaves a half-written package. */
function replaceDir(dir: string, entries: Parameters<typeof writePackageDir>[1]): void {
  const stamp = `${process.pid}-${Date.now()}`;
  const fresh = resolve(`${dir}.signed-${stamp}`);
  const backup = resolve(`${dir}.old-${stamp}`);
  writePackageDir(fresh, entries);
  try {
    renameSync(dir, backup);
    renameSync(fresh, dir);
  } catch (e) {
    rmSync(fresh, { recursive: true, force: true });
    throw new TrainerError('LW_TRAINER_IO', `cannot replace ${dir}: ${(e as Error).message}`, { dir }, { cause: e });
  }
  rmSync(backup, { recursive: true, force: true });
}
