/**
 * export: package directory ⇄ .tar.gz, verified before and after so a copy never leaves here broken. With --key the
 * signature is checked too; without it only the file digests (said in the output).
 */
import { statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirSync, renameSync } from 'node:fs';
import { packPackage, writePackageDir } from '@linewatch/model-package';
import { existingPath, freshPath, requireStr, str, strList } from '../cli/args.js';
import type { Command } from '../cli/command.js';
import { TrainerError } from '../errors.js';
import { loadKeys, loadPackage } from '../package-io.js';

export const exportCmd: Command = {
  name: 'export',
  summary:
    'Pack a package directory into a .tar.gz (--out), or unpack a tarball into a directory (--dir); verified before and after.',
  usage: 'export --model <pkg dir> --out <file.tar.gz> | export --model <pkg.tar.gz> --dir <dir>  [--key <public.pem>]',
  flags: {
    model: {
      type: 'string',
      value: '<pkg>',
      description: 'package directory (with --out) or tarball (with --dir)',
      required: true,
    },
    out: { type: 'string', value: '<file.tar.gz>', description: 'tarball to write (must not exist)' },
    dir: { type: 'string', value: '<dir>', description: 'directory to unpack into (must not exist)' },
    key: {
      type: 'string',
      value: '<public.pem>',
      description: 'trusted public key: also verify the signature',
      multiple: true,
    },
  },
  example: 'linewatch-trainer export --model out/tile-1.2.0 --out out/tile-1.2.0.tar.gz --key keys/signing-key.pub.pem',
  async run(values, ctx) {
    const model = existingPath(requireStr(values, 'model'), 'model', ctx.cwd);
    const outFlag = str(values, 'out');
    const dirFlag = str(values, 'dir');
    if ((outFlag === undefined) === (dirFlag === undefined)) {
      throw new TrainerError(
        'LW_TRAINER_MISSING_FLAG',
        'export needs exactly one of --out <file.tar.gz> (pack) or --dir <dir> (unpack)',
      );
    }
    const keys = loadKeys(strList(values, 'key').map((k) => existingPath(k, 'key', ctx.cwd, 'file')));
    const isDir = statSync(model).isDirectory();
    if (outFlag !== undefined && !isDir)
      throw new TrainerError(
        'LW_TRAINER_BAD_VALUE',
        `--out packs a directory, but ${model} is a file (use --dir to unpack)`,
      );
    if (dirFlag !== undefined && isDir)
      throw new TrainerError(
        'LW_TRAINER_BAD_VALUE',
        `--dir unpacks a tarball, but ${model} is a directory (use --out to pack)`,
      );
    const before = loadPackage(model, keys);
    let target: string;
    if (outFlag !== undefined) {
      target = freshPath(outFlag, 'out', ctx.cwd);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.tmp-${process.pid}`;
      writeFileSync(tmp, packPackage(before.entries, true));
      renameSync(tmp, target);
    } else {
      target = freshPath(dirFlag!, 'dir', ctx.cwd);
      writePackageDir(target, before.entries);
    }
    const after = loadPackage(target, keys);
    const how =
      after.verification === 'signature'
        ? `signature by ${after.keyId} + digests`
        : 'digests only (no --key: signature NOT checked)';
    ctx.stdout.write(
      `wrote ${target}\n${after.manifest.modelId} ${after.manifest.version} (build ${after.manifest.build}), ${after.files.size} files; verified before and after: ${how}\n`,
    );
    return 0;
  },
};
