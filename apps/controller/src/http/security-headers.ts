/**
 * helmet's options for this controller. HSTS and the CSP's `upgrade-insecure-requests` only make sense where the
 * browser reached us over TLS: sent over plain HTTP to any origin other than localhost, the upgrade makes Chromium
 * fetch the UI's scripts over https from a server that speaks none, and the UI hangs on "Loading…". So both are sent
 * when this controller serves TLS itself, or when the operator says a TLS proxy sits in front (http.behindTlsProxy).
 */
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { Config } from '../config.js';
import { servesTls } from '../config-rules.js';

export function helmetOptions(config: Readonly<Config>): FastifyHelmetOptions {
  if (servesTls(config) || config.http.behindTlsProxy) return {};
  // `null` removes one of helmet's default directives and keeps the others.
  return { hsts: false, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } };
}
