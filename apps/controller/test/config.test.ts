import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULTS, loadConfig } from '../src/config.js';
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
