/** keygen: a fresh Ed25519 signing key pair as PEM files. */
import { join } from 'node:path';
import { resolve } from 'node:path';
import { generateSigningKeys } from '@linewatch/model-package';
import { bool, freshPath, requireStr, str } from '../cli/args.js';
import type { Command } from '../cli/command.js';
import { TrainerError } from '../errors.js';

export const keygen: Command = {
  name: 'keygen',
  summary: 'Generate an Ed25519 key pair for signing model packages.',
  usage: 'keygen --out <dir> [--name <name>] [--force]',
  flags: {
    out: {
      type: 'string',
      value: '<dir>',
      description: 'folder for <name>.pem (private, mode 0600) and <name>.pub.pem',
      required: true,
    },
    name: { type: 'string', value: '<name>', description: 'file name stem (default signing-key)' },
    force: { type: 'boolean', description: 'overwrite existing key files' },
  },
  example: 'linewatch-trainer keygen --out keys/',
  async run(values, ctx) {
    const dir = resolve(ctx.cwd, requireStr(values, 'out'));
    const name = str(values, 'name') ?? 'signing-key';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
      throw new TrainerError(
        'LW_TRAINER_BAD_VALUE',
        `--name must be 1-64 of [A-Za-z0-9._-], got ${JSON.stringify(name)}`,
      );
    const force = bool(values, 'force');
    // Overwriting a private key silently would orphan every package signed with it.
    freshPath(join(dir, `${name}.pem`), 'out', ctx.cwd, force);
    freshPath(join(dir, `${name}.pub.pem`), 'out', ctx.cwd, force);
    const keys = generateSigningKeys(dir, name);
    ctx.stdout.write(
      `private key: ${keys.privateKeyPath}\npublic key:  ${keys.publicKeyPath}\nkey id:      ${keys.keyId}\n`,
    );
    return 0;
  },
};
