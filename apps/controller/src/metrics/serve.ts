/**
 * Where /metrics is served and who may read it (docs/metrics.md, "Access"):
 * - `metrics.port` null: on the HTTP port; set: only on its own listener at metrics.host:port (HTTPS when the
 *   controller serves TLS, with the same certificate).
 * - `metrics.token` set: every scrape must send `Authorization: Bearer <token>`, on either listener.
 * - No token: open only on a listener other machines cannot reach — a loopback bind that is not behind a TLS proxy —
 *   or where the operator says so (`metrics.allowUnauthenticated`). Otherwise 401, so a field install never exposes
 *   device ids, lines and versions by accident.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import Fastify, {
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerFactory,
  type RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isLoopback } from '../config-rules.js';
import type { Config } from '../config.js';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { installErrorHandler } from '../http/error-handler.js';
import type { TypedApp } from '../http/typed-app.js';
import type { Metrics } from '../metrics.js';
import type { ServerTls } from '../tls.js';
import { createScraper, type Scraper } from './scrape.js';

export type MetricsAccess = { kind: 'open' } | { kind: 'token'; digest: Buffer } | { kind: 'refused'; why: string };

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Who may scrape the listener that serves /metrics under this config. */
export function metricsAccess(config: Readonly<Config>): MetricsAccess {
  const m = config.metrics;
  if (m.token !== null) return { kind: 'token', digest: sha256(m.token) };
  const reachable = m.port === null ? !isLoopback(config.http.host) || config.http.behindTlsProxy : !isLoopback(m.host);
  if (!reachable || m.allowUnauthenticated) return { kind: 'open' };
  const where = m.port === null ? `the HTTP port (${config.http.host})` : `${m.host}:${m.port}`;
  return {
    kind: 'refused',
    why:
      `/metrics on ${where} is reachable from other machines: set metrics.token (LW_METRICS_TOKEN) and scrape with ` +
      'it, or set metrics.allowUnauthenticated',
  };
}

function checkAccess(access: MetricsAccess, req: FastifyRequest): void {
  if (access.kind === 'open') return;
  if (access.kind === 'refused') throw ctrlError('LW_CTRL_UNAUTHENTICATED', access.why);
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  // Digests compared in constant time: equal lengths whatever was sent.
  if (!m?.[1] || !timingSafeEqual(sha256(m[1]), access.digest)) {
    throw ctrlError('LW_CTRL_UNAUTHENTICATED', '/metrics needs Authorization: Bearer <metrics.token>');
  }
}

function route(app: TypedApp, access: MetricsAccess, scraper: Scraper): void {
  app.get('/metrics', { schema: { hide: true } }, async (req: FastifyRequest, reply: FastifyReply) => {
    checkAccess(access, req);
    reply.header('content-type', scraper.contentType);
    return scraper.scrape();
  });
}

/** HTTPS like the main port (an https.Server is an http.Server to fastify; see app.ts). */
function httpsFactory(tls: ServerTls): FastifyServerFactory<RawServerDefault> {
  return (handler) => createHttpsServer({ ...tls }, handler);
}

/**
 * Serves /metrics as configured: a route on the app, or its own listener (closed with the app). Returns the port of
 * the own listener (chosen by the OS when metrics.port is 0), or null when /metrics is on the HTTP port.
 */
export async function serveMetrics(
  app: TypedApp,
  ctx: Ctx,
  metrics: Metrics,
  serverTls: ServerTls | null,
): Promise<number | null> {
  const access = metricsAccess(ctx.config);
  if (access.kind === 'refused') ctx.log.warn({ code: 'LW_CTRL_UNAUTHENTICATED' }, access.why);
  const scraper = createScraper(ctx, metrics);
  const { port, host } = ctx.config.metrics;
  if (port === null) {
    route(app, access, scraper);
    return null;
  }
  const own = Fastify({
    loggerInstance: ctx.log,
    // A scrape every few seconds would drown the log; failures still go through the error handler.
    disableRequestLogging: true,
    ...(serverTls && { serverFactory: httpsFactory(serverTls) }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandler(own);
  route(own, access, scraper);
  app.addHook('onClose', () => own.close());
  await own.listen({ host, port });
  const addr = own.server.address();
  const bound = addr !== null && typeof addr === 'object' ? addr.port : port;
  ctx.log.info({ host, port: bound, tls: serverTls !== null, token: access.kind === 'token' }, 'metrics listening');
  return bound;
}
