/**
 * HTTP status for each agent error code the local API can answer with, and the error handler that turns every
 * error — ours, fastify's (validation, body limit, media type) or an unexpected one — into `{ code, message }` with
 * an LW_AGENT_* code. Unexpected errors are logged in full and answered with a generic 500.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { AGENT_ERRORS, isAgentError } from '../../errors.js';
import type { AgentErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';

const STATUS: Partial<Record<AgentErrorCode, number>> = {
  LW_AGENT_API_BAD_REQUEST: 400,
  LW_AGENT_API_BAD_IMAGE: 400,
  LW_AGENT_API_UNAUTHORIZED: 401,
  LW_AGENT_API_NOT_FOUND: 404,
  LW_AGENT_UNKNOWN_CAMERA: 404,
  LW_AGENT_NOT_TRIGGER_CAMERA: 409,
  LW_AGENT_API_TOO_LARGE: 413,
  LW_AGENT_API_UNSUPPORTED_MEDIA: 415,
  LW_AGENT_API_BUSY: 503,
  LW_AGENT_CAPTURE_BUSY: 503,
  LW_AGENT_CAPTURE_TIMEOUT: 504,
};

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_S = 1;

function fastifyCode(err: FastifyError): AgentErrorCode {
  if (err.validation) return 'LW_AGENT_API_BAD_REQUEST';
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) return 'LW_AGENT_API_TOO_LARGE';
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415) return 'LW_AGENT_API_UNSUPPORTED_MEDIA';
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return 'LW_AGENT_API_BAD_REQUEST';
  return 'LW_AGENT_API_INTERNAL';
}

export function installErrorHandler(app: FastifyInstance, log?: Logger): void {
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    let code: AgentErrorCode;
    let message: string;
    if (isAgentError(err)) {
      code = err.code;
      message = err.message;
    } else {
      code = fastifyCode(err);
      message = code === 'LW_AGENT_API_INTERNAL' ? AGENT_ERRORS[code] : `${code}: ${err.message}`;
    }
    const status = STATUS[code] ?? 500;
    if (status >= 500 && status !== 503 && status !== 504)
      log?.('error', `local API: ${err.message}`, { code, stack: err.stack });
    if (status === 503) void reply.header('retry-after', String(RETRY_AFTER_S));
    return reply.status(status).send({ code, message });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    return reply
      .status(404)
      .send({ code: 'LW_AGENT_API_NOT_FOUND', message: `LW_AGENT_API_NOT_FOUND: no route ${req.method} ${path}` });
  });
}
