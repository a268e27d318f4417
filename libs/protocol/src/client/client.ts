/**
 * One typed client for the controller's HTTP API. `call(route, { params, query, body })` takes any route object from
 * `@linewatch/protocol/http`: the arguments and the answer are typed from the route's schemas, the url params are
 * filled in, JSON (or raw bytes for upload routes) is sent, and the answer is checked against the route's schema for
 * its status before it is returned — a non-2xx answer, no answer, a late answer or an answer off the contract all
 * reject with a coded `ApiError`. Auth: a worker's bearer token, or the session cookie + CSRF header the UI uses.
 */
import { ApiError, ProtocolError } from '../errors.js';
import { LoginRoute } from '../http/auth.js';
import { describeRoute, errorFor, successBody } from './reply.js';
import type { CallRest, Reply, ReplyOf, Route } from './route.js';
import { tlsFetch } from './tls-fetch.js';

/** The controller's session cookie and CSRF header (apps/controller/src/auth/guard.ts). */
export const SESSION_COOKIE = 'lw_session';
export const CSRF_HEADER = 'x-csrf-token';

export type ApiAuth =
  | { readonly kind: 'none' }
  /** A worker: `Authorization: Bearer <token>` (the controller's jobs.workerToken). */
  | { readonly kind: 'bearer'; readonly token: string }
  /** A signed-in user: `cookie: lw_session=…` on every call, the CSRF token on every state-changing one. */
  | { readonly kind: 'session'; readonly cookie: string; readonly csrfToken: string };

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:8080 (route urls are absolute paths on it). */
  readonly baseUrl: string;
  readonly auth?: ApiAuth;
  /** Injected for tests or in-process servers; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /**
   * CA certificate (PEM) the controller's https certificate must chain to — the one handed out at enrollment —
   * instead of the system CAs. Not together with `fetch` (pass `tlsFetch({ ca })` as that fetch instead).
   */
  readonly ca?: string | Uint8Array;
  /** Per call, the answer's body included (default 30 s). */
  readonly timeoutMs?: number;
}

/** What `call` reads from its argument, whatever the route (the public type is `CallArgs<R>`). */
interface LooseArgs {
  readonly params?: unknown;
  readonly query?: unknown;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly path?: string;
  readonly timeoutMs?: number;
}

const asRecord = (v: unknown): Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null ? { ...v } : {};

const DEFAULT_TIMEOUT_MS = 30_000;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** `/api/jobs/:id/cancel` + `{id: 'j 1'}` → `/api/jobs/j%201/cancel`. */
export function fillParams(url: string, params: unknown): string {
  const p = asRecord(params);
  return url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const v = p[name];
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new ProtocolError('LW_PROTO_INVALID_ARGUMENT', `url parameter :${name} of ${url} is missing`, {
        url,
        name,
      });
    return encodeURIComponent(String(v));
  });
}

function appendQuery(u: URL, query: unknown): void {
  for (const [k, v] of Object.entries(asRecord(query))) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== undefined && item !== null) u.searchParams.append(k, String(item));
    }
  }
}

export class ApiClient {
  readonly baseUrl: string;
  readonly auth: ApiAuth;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl;
    this.auth = opts.auth ?? { kind: 'none' };
    if (opts.fetch && opts.ca !== undefined)
      throw new ProtocolError('LW_PROTO_INVALID_ARGUMENT', 'ApiClient takes `fetch` or `ca`, not both');
    this.fetchFn = opts.fetch ?? (opts.ca !== undefined ? tlsFetch({ ca: opts.ca }) : fetch);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Signs in as the UI does and returns a client that carries the session (cookie + CSRF token). */
  static async login(opts: Omit<ApiClientOptions, 'auth'>, username: string, password: string): Promise<ApiClient> {
    const reply = await new ApiClient(opts).request(LoginRoute, { body: { username, password } });
    const cookie = reply.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (!cookie)
      throw new ApiError(
        'LW_PROTO_HTTP_REPLY_INVALID',
        `${describeRoute(LoginRoute)}: no ${SESSION_COOKIE} cookie in the answer`,
        reply.status,
      );
    return new ApiClient({
      ...opts,
      auth: { kind: 'session', cookie: cookie.split(';')[0]!, csrfToken: reply.body.csrfToken },
    });
  }

  /** The answer's body, typed and checked; see `request` for the status and headers too. */
  async call<R extends Route>(route: R, ...rest: CallRest<R>): Promise<ReplyOf<R>> {
    return (await this.request(route, ...rest)).body;
  }

  async request<R extends Route>(route: R, ...rest: CallRest<R>): Promise<Reply<ReplyOf<R>>> {
    const args: LooseArgs = rest[0] ?? {};
    const u = new URL(args.path ?? fillParams(route.url, args.params), this.baseUrl);
    appendQuery(u, args.query);
    const { headers, body } = this.encode(route, args);
    const signal = AbortSignal.timeout(args.timeoutMs ?? this.timeoutMs);
    let res: Response;
    let bytes: Uint8Array;
    try {
      res = await this.fetchFn(u, { method: route.method, headers, signal, ...(body !== undefined ? { body } : {}) });
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      throw transportError(route, u, e, signal.aborted);
    }
    if (res.status < 200 || res.status > 299) throw errorFor(route, res.status, bytes);
    // Checked against the route's schema for this status (or raw bytes for a byte route) by successBody.
    const value = successBody(route, res.status, bytes) as ReplyOf<R>;
    return { status: res.status, headers: res.headers, body: value };
  }

  private encode(
    route: Route,
    args: LooseArgs,
  ): { headers: Record<string, string>; body: string | Uint8Array | undefined } {
    const headers: Record<string, string> = {};
    if (this.auth.kind === 'bearer') headers['authorization'] = `Bearer ${this.auth.token}`;
    if (this.auth.kind === 'session') {
      headers['cookie'] = this.auth.cookie;
      if (!SAFE_METHODS.has(route.method)) headers[CSRF_HEADER] = this.auth.csrfToken;
    }
    let body: string | Uint8Array | undefined;
    if (route.schema.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(args.body);
    } else if (args.body instanceof Uint8Array) {
      headers['content-type'] = args.contentType ?? route.schema.consumes?.[0] ?? 'application/octet-stream';
      body = args.body;
    }
    return { headers: { ...headers, ...args.headers }, body };
  }
}

/**
 * OpenSSL's verification failures as node reports them (`code` on the error, or on its `cause` for the global fetch):
 * the server's certificate does not chain to a trusted CA, is out of date, or does not name the host.
 */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The TLS verification code of a transport failure, or null when it failed otherwise. */
function tlsVerifyCode(e: unknown): string | null {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_VERIFY_CODES.has(code)) return code;
  }
  return null;
}

function transportError(route: Route, u: URL, e: unknown, timedOut: boolean): ApiError {
  const details = { route: describeRoute(route), url: `${u.origin}${u.pathname}` };
  const why = e instanceof Error ? e.message : String(e);
  const tls = tlsVerifyCode(e);
  if (tls !== null)
    return new ApiError(
      'LW_PROTO_HTTP_TLS',
      `${describeRoute(route)}: the server's certificate does not verify (${tls}): ${why}`,
      null,
      { ...details, tlsCode: tls },
      { cause: e },
    );
  if (timedOut)
    return new ApiError(
      'LW_PROTO_HTTP_TIMEOUT',
      `${describeRoute(route)}: no complete answer in time (${why})`,
      null,
      details,
      { cause: e },
    );
  return new ApiError('LW_PROTO_HTTP_NETWORK', `${describeRoute(route)}: ${why}`, null, details, { cause: e });
}
