/**
 * OPC UA configuration and login rules that need no shared server: config validation, password hashes and files,
 * the explicit anonymous opt-in, and a coded error (nothing left open) when the port is taken.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { UserTokenType } from 'node-opcua';
import { parseConfig } from '../src/config.js';
import { isAgentError } from '../src/errors.js';
import { MemoryLinePort, makeVerdict } from '../src/line/memory-port.js';
import { OpcUaSchema, PASSWORD_HASH_PATTERN } from '../src/line/opcua/schema.js';
import type { OpcUaConfig } from '../src/line/opcua/schema.js';
import { attachOpcUa } from '../src/line/opcua/attach.js';
import { startOpcUaServer } from '../src/line/opcua/server.js';
import { UserStore, hashPassword } from '../src/line/opcua/users.js';
import {
  clientIdentity,
  listEndpoints,
  namespaceIndex,
  password,
  readValue,
  withSession,
} from './helpers/opcua-client.js';
import type { ClientIdentity } from './helpers/opcua-client.js';

const TIMEOUT = 120_000;
let dir: string;
let app: ClientIdentity;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-opcua-sec-'));
  app = await clientIdentity(dir, 'scada');
});
after(async () => {
  await app?.manager.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function opcua(overrides: Record<string, unknown>): OpcUaConfig {
  return Value.Default(OpcUaSchema, { enabled: true, host: '127.0.0.1', port: 0, ...overrides }) as OpcUaConfig;
}

const base = {
  site: 'plant-1',
  line: 'line-a',
  device: 'edge-1',
  model: { trustedKeyPath: '/dev/null' },
};

test('config: off by default, loopback and no anonymous when on; login-less or half-given settings are refused', () => {
  const cfg = parseConfig(base);
  assert.equal(cfg.opcua.enabled, false);
  assert.equal(cfg.opcua.host, '127.0.0.1');
  assert.equal(cfg.opcua.allowAnonymous, false);
  assert.deepEqual(cfg.opcua.securityModes, ['SignAndEncrypt']);
  assert.ok(Object.isFrozen(cfg.opcua.users));

  const refused = (opcuaSection: Record<string, unknown>, why: RegExp) =>
    assert.throws(
      () => parseConfig({ ...base, opcua: opcuaSection }),
      (e: unknown) => isAgentError(e) && e.code === 'LW_AGENT_CONFIG_INVALID' && why.test(e.message),
    );
  refused({ enabled: true }, /no way to log in/);
  refused({ enabled: true, users: [{ name: 'plc' }] }, /exactly one of passwordHash, passwordFile/);
  refused({ users: [{ name: 'plc', passwordHash: 'plain-text' }] }, /passwordHash/);
  refused({ certificateFile: '/etc/cert.pem' }, /go together/);
  refused({ securityModes: ['Sign', 'Sign'] }, /securityModes/);
  const hash = 'scrypt:00112233445566778899aabbccddeeff:' + 'ab'.repeat(32);
  refused(
    {
      users: [
        { name: 'plc', passwordHash: hash },
        { name: 'plc', passwordHash: hash },
      ],
    },
    /unique/,
  );
  assert.equal(parseConfig({ ...base, opcua: { enabled: true, allowAnonymous: true } }).opcua.allowAnonymous, true);
});

test("the README's OPC UA example is a valid config and its hash one-liner makes hashes that verify", async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### OPC UA'));
  const example = /```json\n([\s\S]*?)\n```/.exec(section);
  const oneLiner = /```sh\n(node -e '[^\n]*')\n```/.exec(section);
  assert.ok(example && oneLiner, 'the OPC UA section has a json example and the hash one-liner');
  const cfg = parseConfig({ ...base, opcua: JSON.parse(example[1]!) });
  assert.equal(cfg.opcua.enabled, true);
  assert.equal(cfg.opcua.allowAnonymous, false);

  const script = /^node -e '(.*)'$/.exec(oneLiner[1]!)![1]!;
  const hash = execFileSync(process.execPath, ['-e', script], { input: 'pa ss\n', encoding: 'utf8' }).trim();
  assert.match(hash, new RegExp(PASSWORD_HASH_PATTERN));
  const store = await UserStore.load([{ name: 'u', passwordHash: hash }]);
  assert.equal(await store.verify('u', 'pa ss'), true);
  assert.equal(await store.verify('u', 'pass'), false);
});

test('passwords: scrypt hashes verify, files are hashed at start, unreadable files are coded', async () => {
  writeFileSync(join(dir, 'pw'), 'from-a-file\n');
  writeFileSync(join(dir, 'empty'), '');
  const store = await UserStore.load([
    { name: 'a', passwordHash: await hashPassword('alpha') },
    { name: 'b', passwordFile: join(dir, 'pw') },
  ]);
  assert.equal(await store.verify('a', 'alpha'), true);
  assert.equal(await store.verify('a', 'alpha '), false);
  assert.equal(await store.verify('b', 'from-a-file'), true, 'the trailing newline is not part of it');
  assert.equal(await store.verify('b', 'from-a-file\n'), false);
  assert.equal(await store.verify('c', 'alpha'), false);
  assert.match(await hashPassword('x'), new RegExp(PASSWORD_HASH_PATTERN));
  for (const file of [join(dir, 'missing'), join(dir, 'empty')]) {
    await assert.rejects(UserStore.load([{ name: 'b', passwordFile: file }]), (e: unknown) => {
      return isAgentError(e) && e.code === 'LW_AGENT_OPCUA_USERS' && !e.message.includes('from-a-file');
    });
  }
});

test('anonymous only on explicit opt-in; a taken port is a coded start error', { timeout: TIMEOUT }, async () => {
  const port = new MemoryLinePort({ modelVersion: '2.0.0+1' });
  port.push(makeVerdict({ camera: 'cam-1', score: 0.1, partId: 'BEFORE-START' })); // shown from the first read on
  const server = await startOpcUaServer(port, {
    config: opcua({
      allowAnonymous: true,
      securityModes: ['None'],
      users: [{ name: 'hmi', passwordFile: join(dir, 'pw') }],
    }),
    dataDir: join(dir, 'data'),
  });
  try {
    const endpoints = await listEndpoints(server.endpointUrl, app);
    const offered = new Set(endpoints.flatMap((e) => (e.userIdentityTokens ?? []).map((t) => t.tokenType)));
    assert.deepEqual(
      [...offered].sort(),
      [UserTokenType.Anonymous, UserTokenType.UserName].sort(),
      'no X.509 login without certificateLogin',
    );
    const read = (user?: ReturnType<typeof password>) =>
      withSession(server.endpointUrl, { identity: app, ...(user ? { user } : {}) }, async (s) => {
        const ns = await namespaceIndex(s, server.namespaceUri);
        const partId = (await readValue(s, `ns=${ns};s=cam-1/PartId`)).value.value;
        return `${(await readValue(s, `ns=${ns};s=cam-1/ModelVersion`)).value.value} ${partId}`;
      });
    assert.equal(await read(), '2.0.0+1 BEFORE-START', 'anonymous');
    assert.equal(await read(password('hmi', 'from-a-file')), '2.0.0+1 BEFORE-START', 'password from a file');

    await assert.rejects(
      startOpcUaServer(port, {
        config: opcua({ allowAnonymous: true, port: server.port }),
        dataDir: join(dir, 'data'),
      }),
      (e: unknown) => isAgentError(e) && e.code === 'LW_AGENT_OPCUA_START' && e.message.includes(String(server.port)),
    );
    assert.equal(port.listenerCount, 1, 'the failed server left no verdict listener behind');
    // In the agent a failed start is a coded problem (status degraded), not a crash; disabled means no server.
    const problems: string[] = [];
    const attach = (config: OpcUaConfig) =>
      attachOpcUa(port, {
        config,
        dataDir: join(dir, 'data'),
        identity: { site: 's', line: 'l', device: 'd' },
        log: () => undefined,
        problem: (code) => void problems.push(code),
      });
    const attached = attach(opcua({ allowAnonymous: true, port: server.port }));
    assert.equal(await attached?.ready, undefined);
    assert.deepEqual(problems, ['LW_AGENT_OPCUA_START']);
    await attached?.stop();
    assert.equal(attach(opcua({ enabled: false })), undefined);
  } finally {
    await server.close();
  }
  assert.equal(port.listenerCount, 0);
});
