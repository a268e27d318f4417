/** `linewatch-trainer --version` / `-v`: the package version on stdout, exit 0 — in-process and through the bin. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { silentProgress } from '../src/progress.js';
import { Capture } from './fixtures.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

test('--version and -v print the package version and exit 0; help mentions it', async () => {
  for (const flag of ['--version', '-v']) {
    const stdout = new Capture();
    const stderr = new Capture();
    assert.equal(await runCli(COMMANDS, [flag], { stdout, stderr, progress: silentProgress }), 0);
    assert.equal(stdout.text, `${version}\n`);
    assert.equal(stderr.text, '');
  }
  const help = new Capture();
  await runCli(COMMANDS, ['--help'], { stdout: help, stderr: new Capture(), progress: silentProgress });
  assert.match(help.text, /--version/);
});

test('the bin prints the version as a child process', { timeout: 60_000 }, async () => {
  const bin = fileURLToPath(new URL('../bin/linewatch-trainer.js', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [bin, '--version'], { timeout: 50_000 });
  assert.equal(stdout, `${version}\n`);
});
