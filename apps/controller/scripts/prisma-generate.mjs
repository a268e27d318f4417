// Generates the two prisma clients (sqlite, postgresql) from prisma/schema.prisma, offline.
//
// Why the stub engine: `prisma generate` itself only needs the WASM schema parser, but the CLI insists on locating
// (and otherwise downloading) the schema-engine binary first. Pointing PRISMA_SCHEMA_ENGINE_BINARY at a stub that
// fails loudly lets generation run without network; nothing here ever executes the engine.
// Skips work when the schema has not changed since the last generation (hash stamp), so it is cheap to run before
// every typecheck/lint/test, and is the workspace's postinstall so that every entry point (benches, `npm start`, the
// e2e tests) finds the client straight after `npm ci`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = join(appDir, 'prisma', 'schema.prisma');
const outRoot = join(appDir, 'src', 'generated');
const require = createRequire(import.meta.url);
let prismaPackage;
try {
  prismaPackage = require.resolve('prisma/package.json');
} catch (err) {
  // `--if-available` (the workspace's postinstall): an `npm ci --omit=dev` checkout has no prisma CLI, and that must
  // not fail the install; every other caller needs the client, so for them it is an error.
  if (!process.argv.includes('--if-available')) throw err;
  process.stderr.write('prisma-generate: the prisma CLI is not installed (dev dependency); client not generated\n');
  process.exit(0);
}
const cli = join(dirname(prismaPackage), 'build', 'index.js');
const prismaVersion = JSON.parse(readFileSync(prismaPackage, 'utf8')).version;

const schema = readFileSync(schemaPath, 'utf8');
const stamp = createHash('sha256')
  .update(schema)
  .update(prismaVersion)
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest('hex');
const stampFile = join(outRoot, '.stamp');
const fresh = () =>
  existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && !process.argv.includes('--force');
if (fresh()) process.exit(0);

// nx runs typecheck and test in parallel, and both call this script: serialise with a lock directory (mkdir is
// atomic), then re-check the stamp so the second caller finds the work done instead of deleting it mid-read.
const lock = join(appDir, 'src', '.generated.lock');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
for (const started = Date.now(); ;) {
  try {
    mkdirSync(lock);
    break;
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
    // A lock older than two minutes belongs to a generator that died: take it over.
    if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
    if (Date.now() - started > 180_000) throw new Error(`prisma-generate: lock ${lock} held for too long`);
    sleep(100);
  }
}
process.on('exit', () => rmSync(lock, { recursive: true, force: true }));
if (fresh()) process.exit(0);

rmSync(outRoot, { recursive: true, force: true });
const work = join(outRoot, '.work');
mkdirSync(work, { recursive: true });
const stub = join(work, 'schema-engine-stub');
writeFileSync(
  stub,
  '#!/bin/sh\necho "linewatch: the prisma schema engine is not available offline; use the committed SQL migrations" >&2\nexit 1\n',
);
chmodSync(stub, 0o755);

for (const provider of ['sqlite', 'postgresql']) {
  const variant = schema
    .replace('provider = "sqlite"', `provider = "${provider}"`)
    .replace('output              = "../src/generated/sqlite"', `output              = "../${provider}"`);
  if (!variant.includes(`provider = "${provider}"`))
    throw new Error('prisma-generate: datasource provider line not found');
  const file = join(work, `${provider}.prisma`);
  writeFileSync(file, variant);
  const r = spawnSync(process.execPath, [cli, 'generate', '--schema', file], {
    cwd: work,
    encoding: 'utf8',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: stub,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    process.exit(r.status ?? 1);
  }
}
rmSync(work, { recursive: true, force: true });
writeFileSync(stampFile, stamp);
