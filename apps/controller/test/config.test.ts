import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULTS, loadConfig } from '../src/config.js';
import { isLoopback, plaintextLinks } from '../src/config-rules.js';
import { isControllerError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('defaults validate and are deep-frozen', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c, DEFAULTS);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.http));
  assert.throws(() => {
    (c.http as { port: number }).port = 1;
  }, TypeError);
});

test('precedence: defaults < file < env < overrides', () => {
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ http: { port: 9000, host: '127.0.0.2' }, logLevel: 'debug' }));
  const c = loadConfig({
    file,
    env: { LW_HTTP_PORT: '9001', LW_MQTT_WS_PORT: 'null' },
    overrides: { logLevel: 'warn' },
  });
  assert.equal(c.http.port, 9001);
  assert.equal(c.http.host, '127.0.0.2');
  assert.equal(c.logLevel, 'warn');
  assert.equal(c.mqtt.wsPort, null);
  assert.equal(c.http.bodyLimitBytes, DEFAULTS.http.bodyLimitBytes);
});

test('config file named by LW_CONTROLLER_CONFIG', () => {
  const file = join(dir, 'd.json');
  writeFileSync(file, JSON.stringify({ dataDir: '/srv/lw' }));
  assert.equal(loadConfig({ env: { LW_CONTROLLER_CONFIG: file } }).dataDir, '/srv/lw');
});

test('invalid values, unknown keys and unreadable files are LW_CTRL_CONFIG_INVALID', () => {
  const invalid = (e: unknown): boolean => isControllerError(e, 'LW_CTRL_CONFIG_INVALID');
  assert.throws(() => loadConfig({ env: { LW_HTTP_PORT: '70000' } }), invalid);
  assert.throws(() => loadConfig({ env: { LW_DB_PROVIDER: 'mysql' } }), invalid);
  assert.throws(() => loadConfig({ env: {}, overrides: { http: { port: -1 } } }), invalid);
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ htp: {} }));
  assert.throws(
    () => loadConfig({ file, env: {} }),
    (e) => invalid(e) && /htp/.test((e as Error).message),
  );
  assert.throws(() => loadConfig({ file: join(dir, 'missing.json'), env: {} }), invalid);
  writeFileSync(join(dir, 'arr.json'), '[]');
  assert.throws(() => loadConfig({ file: join(dir, 'arr.json'), env: {} }), invalid);
});

test('mqtt.provisioning must fit the broker mode', () => {
  const invalid =
    (why: RegExp) =>
    (e: unknown): boolean =>
      isControllerError(e, 'LW_CTRL_CONFIG_INVALID') && why.test((e as Error).message);
  assert.equal(loadConfig({ env: {} }).mqtt.provisioning, 'auto');
  assert.equal(loadConfig({ env: { LW_MQTT_PROVISIONING: 'store' } }).mqtt.provisioning, 'store');
  const dynsec = loadConfig({
    env: {
      LW_MQTT_MODE: 'external',
      LW_MQTT_PROVISIONING: 'mosquitto-dynsec',
      LW_MQTT_USERNAME: 'ctl',
      LW_MQTT_PASSWORD: 'pw',
      LW_MQTT_PROVISIONING_TIMEOUT_MS: '2000',
    },
  });
  assert.deepEqual([dynsec.mqtt.provisioning, dynsec.mqtt.provisioningTimeoutMs], ['mosquitto-dynsec', 2000]);
  assert.throws(
    () => loadConfig({ env: { LW_MQTT_PROVISIONING: 'mosquitto-dynsec' } }),
    invalid(/needs mode external/),
  );
  assert.throws(
    () => loadConfig({ env: { LW_MQTT_MODE: 'external', LW_MQTT_PROVISIONING: 'store' } }),
    invalid(/only with the embedded broker/),
  );
  assert.throws(
    () => loadConfig({ env: { LW_MQTT_MODE: 'external', LW_MQTT_PROVISIONING: 'mosquitto-dynsec' } }),
    invalid(/username and mqtt.password/),
  );
  assert.throws(() => loadConfig({ env: { LW_MQTT_PROVISIONING: 'password-file' } }), invalid(/provisioning/));
  assert.equal(
    loadConfig({ env: { LW_MQTT_MODE: 'external', LW_MQTT_PROVISIONING: 'none' } }).mqtt.provisioning,
    'none',
  );
});

describe('transport policy: TLS beyond loopback, publicUrl on a non-loopback bind', () => {
  const refused =
    (code: 'LW_CTRL_PLAINTEXT_REFUSED' | 'LW_CTRL_PUBLIC_URL_REQUIRED' | 'LW_CTRL_CONFIG_INVALID', why: RegExp) =>
    (e: unknown): boolean =>
      isControllerError(e, code) && why.test((e as Error).message);
  const tls = { LW_TLS_CERT_PATH: '/etc/lw/server.pem', LW_TLS_KEY_PATH: '/etc/lw/server.key' };
  const publicUrl = { LW_REGISTRY_PUBLIC_URL: 'https://controller.example:8443' };

  test('loopback names and addresses', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])
      assert.equal(isLoopback(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '128.0.0.1', 'controller.example', '127.0.0.1.nip.io'])
      assert.equal(isLoopback(h), false, h);
  });

  test('the defaults (npm start: everything on 127.0.0.1) are plaintext and accepted', () => {
    assert.deepEqual(plaintextLinks(loadConfig({ env: {} })), []);
  });

  test('plaintext HTTP or embedded MQTT on a non-loopback address is refused, naming each link', () => {
    assert.throws(
      () => loadConfig({ env: { ...publicUrl, LW_HTTP_HOST: '0.0.0.0' } }),
      refused('LW_CTRL_PLAINTEXT_REFUSED', /HTTP on 0\.0\.0\.0:8080.*LW_TLS_ALLOW_PLAINTEXT/),
    );
    assert.throws(
      () => loadConfig({ env: { LW_MQTT_HOST: '10.0.0.5', LW_MQTT_WS_PORT: '9001' } }),
      refused('LW_CTRL_PLAINTEXT_REFUSED', /MQTT on 10\.0\.0\.5:1883 and WebSocket :9001/),
    );
    // MQTT disabled: nothing to refuse on its address.
    assert.doesNotThrow(() => loadConfig({ env: { LW_MQTT_HOST: '10.0.0.5', LW_MQTT_ENABLED: 'false' } }));
  });

  test('TLS, a declared TLS proxy (HTTP only) or an explicit allowPlaintext are accepted', () => {
    const all = { ...publicUrl, LW_HTTP_HOST: '0.0.0.0', LW_MQTT_HOST: '0.0.0.0' };
    assert.deepEqual(plaintextLinks(loadConfig({ env: { ...all, ...tls } })), []);
    assert.throws(
      () => loadConfig({ env: { ...all, LW_HTTP_BEHIND_TLS_PROXY: 'true' } }),
      refused('LW_CTRL_PLAINTEXT_REFUSED', /^(?!.*HTTP on).*MQTT on 0\.0\.0\.0:1883/),
    );
    const allowed = loadConfig({ env: { ...all, LW_TLS_ALLOW_PLAINTEXT: 'true' } });
    assert.deepEqual(plaintextLinks(allowed), ['HTTP on 0.0.0.0:8080', 'MQTT on 0.0.0.0:1883']);
  });

  test('an external broker beyond loopback must be mqtts:// or wss://', () => {
    const external = { LW_MQTT_MODE: 'external', LW_MQTT_PROVISIONING: 'none' };
    assert.throws(
      () => loadConfig({ env: { ...external, LW_MQTT_URL: 'mqtt://broker.example:1883' } }),
      refused('LW_CTRL_PLAINTEXT_REFUSED', /external broker mqtt:\/\/broker\.example:1883/),
    );
    for (const url of ['mqtts://broker.example:8883', 'wss://broker.example/mqtt', 'mqtt://127.0.0.1:1883'])
      assert.doesNotThrow(() => loadConfig({ env: { ...external, LW_MQTT_URL: url } }), url);
    const withCa = loadConfig({
      env: { ...external, LW_MQTT_URL: 'mqtts://b:8883', LW_MQTT_CA_PATH: '/etc/lw/broker-ca.pem' },
    });
    assert.equal(withCa.mqtt.caPath, '/etc/lw/broker-ca.pem');
  });

  test('a non-loopback bind without registry.publicUrl is LW_CTRL_PUBLIC_URL_REQUIRED', () => {
    assert.throws(
      () => loadConfig({ env: { ...tls, LW_HTTP_HOST: '0.0.0.0' } }),
      refused('LW_CTRL_PUBLIC_URL_REQUIRED', /registry\.publicUrl/),
    );
    assert.equal(loadConfig({ env: { ...tls, ...publicUrl, LW_HTTP_HOST: '0.0.0.0' } }).http.host, '0.0.0.0');
  });

  test('a certificate comes with its key', () => {
    assert.throws(
      () => loadConfig({ env: { LW_TLS_CERT_PATH: '/etc/lw/server.pem' } }),
      refused('LW_CTRL_CONFIG_INVALID', /certPath and keyPath go together/),
    );
    assert.throws(
      () => loadConfig({ env: { LW_MQTT_KEY_PATH: '/etc/lw/client.key' } }),
      refused('LW_CTRL_CONFIG_INVALID', /\/mqtt: certPath and keyPath/),
    );
  });
});
