/**
 * Rules over the whole configuration that the schema cannot express: which broker provisioning fits which broker
 * mode, that TLS comes as a certificate with its key, and the transport policy for the field: every link that leaves
 * the machine is TLS unless the operator says `tls.allowPlaintext`, and a controller reachable from other machines
 * must be told the URL agents reach it at (`registry.publicUrl`) rather than hand them its own loopback address.
 */
import type { Config } from './config.js';
import { ctrlError } from './errors.js';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** True when this controller itself serves TLS (HTTPS, MQTT over TLS). */
export const servesTls = (config: Readonly<Config>): boolean => config.tls.certPath !== null;

function checkProvisioning(mqtt: Config['mqtt']): string | null {
  if (mqtt.mode === 'embedded' && mqtt.provisioning !== 'auto' && mqtt.provisioning !== 'store') {
    return `${mqtt.provisioning} needs mode external (the embedded broker authenticates from the store)`;
  }
  if (mqtt.mode === 'external' && mqtt.provisioning === 'store') {
    return 'store works only with the embedded broker; use mosquitto-dynsec or none';
  }
  if (
    mqtt.mode === 'external' &&
    mqtt.provisioning === 'mosquitto-dynsec' &&
    (mqtt.username === null || mqtt.password === null)
  ) {
    return 'mosquitto-dynsec needs mqtt.username and mqtt.password (a dynamic-security admin)';
  }
  return null;
}

/** A broker URL's host when its scheme is plaintext (mqtt:, tcp:, ws:), else null. */
function plaintextBrokerHost(url: string): string | null {
  try {
    const u = new URL(url);
    return ['mqtt:', 'tcp:', 'ws:'].includes(u.protocol) ? u.hostname : null;
  } catch {
    return null; // the schema accepted it; mqtt.js will refuse it at connect with its own message
  }
}

/**
 * The links this config would carry in plaintext beyond loopback, described for an operator. Empty in a field
 * config with TLS, and with `npm start` (everything on 127.0.0.1).
 */
export function plaintextLinks(config: Readonly<Config>): string[] {
  const links: string[] = [];
  const tls = servesTls(config);
  const { http, mqtt } = config;
  if (!tls && !http.behindTlsProxy && !isLoopback(http.host)) links.push(`HTTP on ${http.host}:${http.port}`);
  if (mqtt.enabled && mqtt.mode === 'embedded' && !tls && !isLoopback(mqtt.host)) {
    links.push(`MQTT on ${mqtt.host}:${mqtt.port}${mqtt.wsPort === null ? '' : ` and WebSocket :${mqtt.wsPort}`}`);
  }
  if (mqtt.enabled && mqtt.mode === 'external') {
    const host = plaintextBrokerHost(mqtt.url);
    if (host !== null && !isLoopback(host)) links.push(`MQTT to the external broker ${mqtt.url}`);
  }
  const { metrics } = config;
  if (metrics.port !== null && !tls && !isLoopback(metrics.host)) {
    links.push(`metrics on ${metrics.host}:${metrics.port}`);
  }
  const s3 = config.files.kind === 's3' ? config.files.s3.endpoint : null;
  if (s3 !== null && s3.startsWith('http:') && !isLoopback(new URL(s3).hostname)) links.push(`S3 at ${s3}`);
  return links;
}

/** files.kind s3 needs a bucket; static credentials come as a pair (else the SDK's default chain is used). */
function checkFiles(files: Config['files']): string | null {
  if (files.kind !== 's3') return null;
  if (files.s3.bucket === null) return '/files/s3/bucket: required when files.kind is s3 (LW_FILES_S3_BUCKET)';
  if ((files.s3.accessKeyId === null) !== (files.s3.secretAccessKey === null)) {
    return '/files/s3: accessKeyId and secretAccessKey go together (or neither, for the default credential chain)';
  }
  return null;
}

function checkTls(config: Readonly<Config>): void {
  const { tls, mqtt } = config;
  if ((tls.certPath === null) !== (tls.keyPath === null)) {
    throw ctrlError('LW_CTRL_CONFIG_INVALID', 'invalid configuration: /tls: certPath and keyPath go together');
  }
  if ((mqtt.certPath === null) !== (mqtt.keyPath === null)) {
    throw ctrlError('LW_CTRL_CONFIG_INVALID', 'invalid configuration: /mqtt: certPath and keyPath go together');
  }
  const links = plaintextLinks(config);
  if (links.length > 0 && !tls.allowPlaintext) {
    throw ctrlError(
      'LW_CTRL_PLAINTEXT_REFUSED',
      `refusing plaintext beyond loopback (${links.join('; ')}): set tls.certPath and tls.keyPath ` +
        '(LW_TLS_CERT_PATH, LW_TLS_KEY_PATH), use an mqtts:// broker URL, or set tls.allowPlaintext ' +
        '(LW_TLS_ALLOW_PLAINTEXT=true) to accept it',
      { details: { links } },
    );
  }
}

/** Throws the first broken rule as a coded error (LW_CTRL_CONFIG_INVALID, _PLAINTEXT_REFUSED, _PUBLIC_URL_REQUIRED). */
export function checkRules(config: Readonly<Config>): void {
  const mqttProblem = checkProvisioning(config.mqtt);
  if (mqttProblem)
    throw ctrlError('LW_CTRL_CONFIG_INVALID', `invalid configuration: /mqtt/provisioning: ${mqttProblem}`);
  const filesProblem = checkFiles(config.files);
  if (filesProblem) throw ctrlError('LW_CTRL_CONFIG_INVALID', `invalid configuration: ${filesProblem}`);
  checkTls(config);
  if (config.cluster.renewMs * 2 > config.cluster.leaseTtlMs)
    throw ctrlError('LW_CTRL_CONFIG_INVALID', 'invalid configuration: cluster.renewMs must be at most leaseTtlMs / 2');
  if (!isLoopback(config.http.host) && config.registry.publicUrl === null) {
    throw ctrlError(
      'LW_CTRL_PUBLIC_URL_REQUIRED',
      `http.host ${config.http.host} is reachable from other machines: set registry.publicUrl ` +
        '(LW_REGISTRY_PUBLIC_URL), the base URL agents download model packages from, e.g. https://controller:8443',
    );
  }
}
