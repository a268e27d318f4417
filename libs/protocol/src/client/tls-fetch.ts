/**
 * A `fetch` that trusts a given CA for https URLs, for agents and workers that verify the controller against the CA
 * they got at enrollment rather than the system store. Node 20's global fetch takes no CA (its undici dispatcher is
 * not reachable without the undici package, which this dependency-free library does not add), so https goes through
 * node:https with the CA on a keep-alive agent; verification stays on (never `rejectUnauthorized: false`).
 * It covers what ApiClient sends — a method, headers, a string or byte body, an abort signal — and answers a standard
 * `Response`. Redirects are returned, not followed (the controller's API does not redirect). http URLs go to the
 * global fetch unchanged.
 */
import { Agent, request } from 'node:https';
import { ProtocolError } from '../errors.js';

type Pem = string | Uint8Array;

export interface TlsFetchOptions {
  /** CA certificate(s), PEM: the server's chain must end at one of them. */
  readonly ca: Pem | readonly Pem[];
  /** Client certificate and key (PEM), for servers that ask for one. */
  readonly cert?: Pem;
  readonly key?: Pem;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

const toBuffer = (p: Pem): Buffer => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p));

function bodyBytes(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new ProtocolError('LW_PROTO_INVALID_ARGUMENT', 'tlsFetch sends string or byte bodies only');
}

function requestHeaders(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => (out[k] = v));
  return out;
}

function urlOf(input: string | URL | Request): URL {
  if (input instanceof URL) return input;
  return new URL(typeof input === 'string' ? input : input.url);
}

export function tlsFetch(opts: TlsFetchOptions): typeof fetch {
  const cas = (Array.isArray(opts.ca) ? (opts.ca as readonly Pem[]) : [opts.ca as Pem]).map(toBuffer);
  const agent = new Agent({
    keepAlive: true,
    ca: cas,
    ...(opts.cert !== undefined && { cert: toBuffer(opts.cert) }),
    ...(opts.key !== undefined && { key: toBuffer(opts.key) }),
  });
  return (input, init) => {
    const url = urlOf(input);
    if (url.protocol !== 'https:') return fetch(input, init);
    return send(agent, url, init);
  };
}

function send(agent: Agent, url: URL, init: RequestInit | undefined): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return reject(signal.reason);
    const body = bodyBytes(init?.body);
    const headers = requestHeaders(init);
    if (body !== undefined) headers['content-length'] = String(body.length);
    const req = request(url, { method: init?.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const h = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const payload = NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks);
        resolve(new Response(payload, { status, statusText: res.statusMessage ?? '', headers: h }));
      });
    });
    const onAbort = (): void =>
      void req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal?.removeEventListener('abort', onAbort));
    req.on('error', reject);
    req.end(body);
  });
}
