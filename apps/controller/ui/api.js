// Thin fetch wrapper: JSON in/out, CSRF header on state-changing calls, coded errors surfaced as {code, message}.
// Also the two helpers every view shares: the toast and typed element look-ups.
/** @import { ErrorBody } from '@linewatch/protocol/http' */

/** @type {string | null} */
let csrf = null;

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {unknown} body the parsed response, normally an ErrorBody; anything else falls back to `HTTP_<status>`
   */
  constructor(status, body) {
    // Only objects can carry code/message; a primitive or null body reads as none (as `?.` on it would).
    const b = typeof body === 'object' && body !== null ? /** @type {Partial<ErrorBody>} */ (body) : null;
    super(b?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = b?.code ?? 'HTTP_' + status;
  }
}

/** @param {string | null} token */
export function setCsrf(token) {
  csrf = token;
}

/**
 * The response body is not validated here: the controller serialises it through the route's response schema in
 * @linewatch/protocol/http, so the caller names that schema's type as T (by annotating the variable it assigns).
 * @template [T=unknown]
 * @param {string} method
 * @param {string} url
 * @param {unknown} [body] JSON-encoded unless contentType says otherwise (then sent as is, e.g. a PNG Blob)
 * @param {string} [contentType]
 * @returns {Promise<T>} null for 204 No Content
 */
export async function api(method, url, body, contentType = 'application/json') {
  /** @type {Record<string, string>} */
  const headers = {};
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  /** @type {BodyInit | undefined} */
  let payload;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = contentType === 'application/json' ? JSON.stringify(body) : /** @type {BodyInit} */ (body);
  }
  const res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
  // T is the route's documented response type (see above); 204 has none, and callers of such routes ignore it.
  if (res.status === 204) return /** @type {T} */ (null);
  /** @type {unknown} */
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return /** @type {T} */ (data);
}

/**
 * The code and message of anything a view catches: ApiErrors (and other coded errors) carry a code, plain Errors
 * (a failed fetch, an image that did not load) do not.
 * @param {unknown} err
 * @returns {{ code: string | undefined, message: string }}
 */
export function errorParts(err) {
  /** @type {string | undefined} */
  let code;
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') code = err.code;
  return { code, message: err instanceof Error ? err.message : String(err) };
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/**
 * @param {string} text
 * @param {boolean} [isError]
 */
export function toast(text, isError = false) {
  const el = byId('toast', HTMLElement);
  el.textContent = text;
  el.classList.toggle('error', isError);
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 2500);
}

/**
 * The views build their markup as HTML strings, so an element's type is known only by its selector: this checks
 * it at run time, so a missing or different element fails here with its selector, not later as a null dereference.
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {abstract new (...args: never[]) => T} type
 * @returns {T}
 */
export function find(root, selector, type) {
  const el = root.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`ui: ${selector} is not a ${type.name}`);
  return el;
}

/**
 * @template {Element} T
 * @param {string} id an element of index.html
 * @param {abstract new (...args: never[]) => T} type
 * @returns {T}
 */
export function byId(id, type) {
  return find(document, `#${id}`, type);
}
