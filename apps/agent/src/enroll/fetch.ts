/**
 * A `fetch` for the typed API client that verifies the controller's certificate against a given CA (the one passed
 * to `enroll --ca`), or Node's trust store without one. Node 20's global fetch takes no CA option, and the agent
 * carries no HTTP library, so this is node:https under fetch's signature — only what the client uses of it.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

function headersOf(res: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) h.append(k, item);
  }
  return h;
}

const NO_BODY = new Set([204, 205, 304]);

export function caFetch(ca?: Buffer): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const https = url.protocol === 'https:';
    const headers = new Headers(init?.headers);
    return new Promise<Response>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: init?.method ?? 'GET',
          headers: Object.fromEntries(headers.entries()),
          ...(https && ca ? { ca } : {}),
          ...(init?.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            resolve(
              new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, headers: headersOf(res) }),
            );
          });
        },
      );
      req.on('error', reject);
      const body = init?.body;
      if (typeof body === 'string' || body instanceof Uint8Array) req.write(body);
      req.end();
    });
  };
}

/** Node's certificate-verification failures (an unknown CA, a self-signed or expired certificate, a wrong name). */
export function isCertificateError(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL/.test(code))
      return true;
  }
  return false;
}
