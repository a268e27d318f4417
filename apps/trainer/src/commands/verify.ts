/** verify: signature + digests of a package dir or tarball against trusted public keys. */
import { existingPath, requireStr, strList } from '../cli/args.js';
import type { Command } from '../cli/command.js';
import { loadKeys, loadPackage, manifestSummary } from '../package-io.js';

export const verify: Command = {
  name: 'verify',
  summary: 'Verify a model package (signature over manifest.json, then every file digest) and print its manifest.',
  usage: 'verify --model <pkg dir|.tar|.tar.gz> --key <public.pem> [--key <public.pem> …]',
  flags: {
    model: { type: 'string', value: '<pkg>', description: 'package directory or tarball', required: true },
    key: {
      type: 'string',
      value: '<public.pem>',
      description: 'trusted Ed25519 public key',
      required: true,
      multiple: true,
    },
  },
  example: 'linewatch-trainer verify --model out/tile-1.2.0.tar.gz --key keys/signing-key.pub.pem',
  async run(values, ctx) {
    const model = existingPath(requireStr(values, 'model'), 'model', ctx.cwd);
    const keys = loadKeys(strList(values, 'key').map((k) => existingPath(k, 'key', ctx.cwd, 'file')));
    const pkg = loadPackage(model, keys);
    ctx.stdout.write(
      manifestSummary(pkg.manifest, { verified: `signature by key ${pkg.keyId} + ${pkg.files.size} file digests` }),
    );
    ctx.stdout.write('ok: package is valid\n');
    return 0;
  },
};
