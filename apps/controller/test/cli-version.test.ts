/** `linewatch-controller --version` / `-v`: the package version on stdout, exit 0, nothing started. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCli } from '../src/cli.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/linewatch-controller.js', import.meta.url));
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

test('parseCli: --version and -v', () => {
  assert.deepEqual(parseCli(['--version']), { kind: 'version' });
  assert.deepEqual(parseCli(['-v']), { kind: 'version' });
  assert.equal(parseCli(['--versio']).kind, 'usage');
});

test('the bin prints the package version and exits 0', { timeout: 60_000 }, async () => {
  const { stdout } = await run(process.execPath, [bin, '--version'], { timeout: 50_000 });
  assert.equal(stdout, `${version}\n`);
});
