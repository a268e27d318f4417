/**
 * The JSON body parser: fastify's own (secure-json-parse, which refuses prototype-poisoning keys), except that a
 * body refused for such a key is answered as what it is — LW_CTRL_BAD_JSON naming the key — instead of fastify's
 * "not valid JSON", which sends a client looking for a syntax error that is not there.
 */
import { ctrlError } from '../errors.js';
import type { TypedApp } from './typed-app.js';

type ForbiddenKey = '__proto__' | 'constructor.prototype';

/** The first key secure-json-parse refuses, anywhere in an already parsed value (JSON.parse keeps them as own keys). */
export function forbiddenKey(value: unknown): ForbiddenKey | null {
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (const v of value) {
      const k = forbiddenKey(v);
      if (k) return k;
    }
    return null;
  }
  const entries: [string, unknown][] = Object.entries(value);
  for (const [key, v] of entries) {
    if (key === '__proto__') return '__proto__';
    if (key === 'constructor' && typeof v === 'object' && v !== null && Object.hasOwn(v, 'prototype'))
      return 'constructor.prototype';
    const k = forbiddenKey(v);
    if (k) return k;
  }
  return null;
}

/** Syntactically valid JSON that carries a forbidden key, or null (then fastify's own error stands). */
function refusedKey(body: string): ForbiddenKey | null {
  try {
    return forbiddenKey(JSON.parse(body));
  } catch {
    return null;
  }
}

/** Replaces the root's application/json parser; call before any child scope is registered (they copy parsers). */
export function installJsonParser(app: TypedApp): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    parse(req, text, (err: Error | null, value?: unknown) => {
      const key = err ? refusedKey(text) : null;
      if (key)
        done(
          ctrlError(
            'LW_CTRL_BAD_JSON',
            `JSON body refused: a "${key}" key is not accepted (prototype pollution guard)`,
          ),
          undefined,
        );
      else done(err, value);
    });
  });
}
