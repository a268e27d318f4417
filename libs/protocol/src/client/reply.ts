/**
 * Turning an HTTP answer into a typed value or a coded `ApiError`: the status picks the route's schema, the body is
 * checked against it (compiled once per schema), and an error status becomes the server's own `{code, message}`.
 */
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ApiError } from '../errors.js';
import { ErrorBody } from '../http/common.js';
import type { Route } from './route.js';

// The contract's dates are JSON-schema `date-time`; TypeBox checks a format only once it is registered, and an
// unregistered format fails every value.
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}T/.test(v));

const errorBodyCheck = TypeCompiler.Compile(ErrorBody);
const checkers = new Map<TSchema, TypeCheck<TSchema>>();

function checker(schema: TSchema): TypeCheck<TSchema> {
  let c = checkers.get(schema);
  if (!c) checkers.set(schema, (c = TypeCompiler.Compile(schema)));
  return c;
}

/** The first schema error as `path message`, for error messages (never the value itself: it may be large). */
function firstProblem(schema: TSchema, value: unknown): string | null {
  const c = checker(schema);
  if (c.Check(value)) return null;
  const first = c.Errors(value).First();
  return first ? `${first.path || '/'} ${first.message}` : 'invalid';
}

export const describeRoute = (route: Route): string => `${route.method} ${route.url}`;

function invalid(route: Route, status: number, why: string): ApiError {
  return new ApiError('LW_PROTO_HTTP_REPLY_INVALID', `${describeRoute(route)}: HTTP ${status}: ${why}`, status, {
    route: describeRoute(route),
    status,
  });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const isSuccess = (status: number): boolean => status >= 200 && status <= 299;

/** True when the route declares no 2xx schema: its answers are raw bytes (frames, masks, packages). */
export function answersBytes(route: Route): boolean {
  return !Object.keys(route.schema.response ?? {}).some((k) => isSuccess(Number(k)));
}

/** The typed body of a 2xx answer: raw bytes for a byte route, else JSON checked against that status's schema. */
export function successBody(route: Route, status: number, bytes: Uint8Array): unknown {
  if (answersBytes(route)) return bytes;
  const schema = route.schema.response?.[status];
  if (!schema) throw invalid(route, status, 'the route does not declare this status');
  if (status === 204 || status === 205) return null;
  const parsed = parseJson(new TextDecoder().decode(bytes));
  if (!parsed.ok) throw invalid(route, status, 'the body is not JSON');
  const problem = firstProblem(schema, parsed.value);
  if (problem !== null) throw invalid(route, status, `the body does not match the route's schema (${problem})`);
  return parsed.value;
}

/** The error for a non-2xx answer: the server's own code and message when the body is a proper `ErrorBody`. */
export function errorFor(route: Route, status: number, bytes: Uint8Array): ApiError {
  const text = new TextDecoder().decode(bytes);
  const parsed = parseJson(text);
  if (parsed.ok && errorBodyCheck.Check(parsed.value)) {
    return new ApiError(parsed.value.code, parsed.value.message, status, { route: describeRoute(route), status });
  }
  return invalid(
    route,
    status,
    `an error answer without a {code, message} body: ${JSON.stringify(text.slice(0, 200))}`,
  );
}
