/**
 * Maps every error to `{code, message}` with the catalogue's status. Fastify's own errors (validation, body limit,
 * media type, rate limit) get catalogue codes too, so clients only ever see LW_CTRL_* codes. Unknown errors are
 * logged in full and answered with a generic 500: internals never leak to clients.
 */
import type { FastifyError } from 'fastify';
import { ERRORS, isControllerError, type ErrorCode } from '../errors.js';
import type { TypedApp } from './typed-app.js';

function codeFor(err: FastifyError): ErrorCode | null {
  if (err.validation) return 'LW_CTRL_VALIDATION';
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'LW_CTRL_PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'LW_CTRL_UNSUPPORTED_MEDIA_TYPE';
  }
  switch (err.statusCode) {
    case 400:
      return 'LW_CTRL_VALIDATION';
    case 401:
      return 'LW_CTRL_UNAUTHENTICATED';
    case 403:
      return 'LW_CTRL_FORBIDDEN';
    case 404:
      return 'LW_CTRL_NOT_FOUND';
    case 413:
      return 'LW_CTRL_PAYLOAD_TOO_LARGE';
    case 415:
      return 'LW_CTRL_UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'LW_CTRL_RATE_LIMITED';
  }
  return null;
}

export function installErrorHandler(app: TypedApp): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isControllerError(err)) {
      if (err.status >= 500) req.log.error({ err, code: err.code }, err.message);
      return reply.status(err.status).send({ code: err.code, message: err.message });
    }
    const code = codeFor(err);
    if (code) {
      // Client errors from fastify carry safe messages (which field failed validation, the size limit, …).
      return reply.status(ERRORS[code].status).send({ code, message: err.message || ERRORS[code].message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ code: 'LW_CTRL_INTERNAL', message: ERRORS.LW_CTRL_INTERNAL.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ code: 'LW_CTRL_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
}
