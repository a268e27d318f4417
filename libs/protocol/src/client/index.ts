/**
 * `@linewatch/protocol/client`: one typed client for the controller's HTTP API, driven by the route objects of
 * `@linewatch/protocol/http`. See the README's "HTTP client" section.
 */
export { ApiClient, CSRF_HEADER, SESSION_COOKIE, fillParams } from './client.js';
export type { ApiAuth, ApiClientOptions } from './client.js';
export { answersBytes } from './reply.js';
export { tlsFetch, type TlsFetchOptions } from './tls-fetch.js';
export type { CallArgs, CallRest, CommonArgs, HttpMethod, Reply, ReplyOf, Route, RouteSchema } from './route.js';
export { ApiError, isApiError } from '../errors.js';
