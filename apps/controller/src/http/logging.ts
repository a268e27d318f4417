/**
 * The controller's pino setup. Every line carries the base fields the agent and the trainer worker share
 * (`service`, `version`, plus pino's `pid` and `hostname`); request logs also carry `requestId`. The level comes from
 * the validated config (`logLevel`, env LW_LOG_LEVEL) unless the caller's logger options say otherwise.
 *
 * Request ids: an incoming `x-request-id` (a proxy's or a client's) is kept when it is short and plain, so one id
 * follows a request through the proxy and the controller's logs; anything else is replaced with a fresh UUID. The id
 * is echoed in the `x-request-id` response header either way.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import type { TypedApp } from './typed-app.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** Letters, digits and `._:-`, at most 128: UUIDs, ULIDs and the usual proxy ids pass; log injection does not. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const CONTROLLER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

type LoggerOption = FastifyServerOptions['logger'];

/** What fastify gets: the caller's logger options (tests: a capture stream) with the shared base fields added. */
export function loggerOptions(config: Readonly<Config>, given: LoggerOption | undefined): LoggerOption {
  if (given === false) return false;
  const base = { service: 'controller', version: CONTROLLER_VERSION, pid: process.pid, hostname: hostname() };
  const opts = given === undefined || given === true ? {} : given;
  return { level: config.logLevel, ...opts, base: { ...base, ...opts.base } };
}

/** fastify options for request ids (log label `requestId`, the incoming header honoured when well-formed). */
export const requestIdOptions = {
  requestIdLogLabel: 'requestId',
  genReqId: (req: { headers: Record<string, string | string[] | undefined> }): string => {
    const given = req.headers[REQUEST_ID_HEADER];
    return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  },
} satisfies Pick<FastifyServerOptions, 'requestIdLogLabel' | 'genReqId'>;

/** Echoes the request id, so a client or proxy can quote it when reporting a problem. */
export function echoRequestId(app: TypedApp): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });
}
