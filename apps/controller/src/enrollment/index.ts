/**
 * Wiring for enrollment: what a device is handed besides its credentials — broker URLs, the CA certificate, the
 * trusted signing keys — derived once from the config and the running broker.
 */
import { readFileSync } from 'node:fs';
import { loadPublicKey } from '@linewatch/model-package';
import type { Config } from '../config.js';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { registerEnrollmentRoutes, type EnrollmentDeps } from './routes.js';

export { lineLiveModel } from './live-model.js';

/**
 * Broker URLs for devices. Embedded: this broker's listener on the host devices reach the controller at (the host
 * of the base URL), `mqtts://` when the controller has a certificate. External: the broker URL the controller uses,
 * which must then be reachable from the line.
 */
export function agentBrokerUrls(config: Readonly<Config>, brokerPort: number | null, baseUrl: string): string[] {
  if (config.mqtt.mode === 'external' || brokerPort === null) return [config.mqtt.url];
  const scheme = config.tls.certPath ? 'mqtts' : 'mqtt';
  return [`${scheme}://${new URL(baseUrl).host.replace(/:\d+$/, '')}:${brokerPort}`];
}

function readCa(config: Readonly<Config>): string | null {
  if (!config.tls.caPath) return null;
  try {
    return readFileSync(config.tls.caPath, 'utf8');
  } catch (e) {
    throw ctrlError('LW_CTRL_CONFIG_INVALID', `tls.caPath: ${(e as Error).message}`, { cause: e });
  }
}

function trustedKeyPems(config: Readonly<Config>): string[] {
  return config.registry.trustedKeys.map((k) => String(loadPublicKey(k).export({ type: 'spki', format: 'pem' })));
}

export function setupEnrollment(
  app: TypedApp,
  ctx: Ctx,
  deps: Omit<EnrollmentDeps, 'brokerUrls' | 'caCertPem' | 'trustedKeys'> & { brokerPort: number | null },
): void {
  const { brokerPort, ...rest } = deps;
  registerEnrollmentRoutes(app, ctx, {
    ...rest,
    brokerUrls: () => agentBrokerUrls(ctx.config, brokerPort, deps.baseUrl()),
    caCertPem: readCa(ctx.config),
    trustedKeys: trustedKeyPems(ctx.config),
  });
}
