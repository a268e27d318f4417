/**
 * Compiled validation. TypeCompiler turns each schema into a specialised function (much faster than interpreting the
 * schema per message, which matters at per-frame rates). Compilation is lazy so importing the package stays cheap for
 * apps that touch only a few kinds.
 */
import { KindGuard } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { fail } from './errors.js';
import { isMessageKind } from './kinds.js';
import type { MessageKind } from './kinds.js';
import { MESSAGE_DEFS } from './messages/index.js';
import type { MessageOf } from './messages/index.js';

const MAX_REPORTED_ERRORS = 8;
const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** The compiled checker for any schema (cached per schema object). */
export function compiled<T extends TSchema>(schema: T): TypeCheck<T> {
  let c = cache.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    cache.set(schema, c);
  }
  return c as TypeCheck<T>;
}

/** Compiled checker for a kind's full message schema (exported so apps can validate without encoding). */
export function validatorFor<K extends MessageKind>(kind: K): TypeCheck<(typeof MESSAGE_DEFS)[K]['schema']> {
  return compiled(defFor(kind).schema);
}

export function defFor(kind: MessageKind): (typeof MESSAGE_DEFS)[MessageKind] {
  if (!isMessageKind(kind))
    fail('LW_PROTO_UNKNOWN_KIND', `unknown message kind ${describe(kind)}`, { kind: describe(kind) });
  return MESSAGE_DEFS[kind];
}

/** Throws LW_PROTO_SCHEMA_VIOLATION (with the first few paths) unless `value` matches `schema`. */
export function checkSchema(schema: TSchema, value: unknown, what: string): void {
  const c = compiled(schema);
  if (c.Check(value)) return;
  const errors: { path: string; message: string }[] = [];
  for (const e of c.Errors(value)) {
    errors.push({ path: e.path || '/', message: e.message });
    if (errors.length >= MAX_REPORTED_ERRORS) break;
  }
  const first = errors[0];
  fail('LW_PROTO_SCHEMA_VIOLATION', `${what}: ${first ? `${first.path} ${first.message}` : 'invalid'}`, {
    what,
    errors,
  });
}

/** Full check of a message: schema, then the kind's cross-field rules. */
export function assertMessage<K extends MessageKind>(kind: K, value: unknown): asserts value is MessageOf<K> {
  const d = defFor(kind);
  checkSchema(d.schema, value, kind);
  const reason = d.refine?.(value as never);
  if (reason !== undefined) fail('LW_PROTO_SCHEMA_VIOLATION', `${kind}: ${reason}`, { what: kind, rule: reason });
}

export function isMessage<K extends MessageKind>(kind: K, value: unknown): value is MessageOf<K> {
  const d = defFor(kind);
  return compiled(d.schema).Check(value) && d.refine?.(value as never) === undefined;
}

/**
 * Copies only what the schema declares, in schema order. Readers are tolerant (unknown fields from a newer peer are
 * dropped, not rejected) and writers emit exactly the contract, so mixed-version fleets keep talking. Assumes `value`
 * already passed the schema check.
 */
export function prune(schema: TSchema, value: unknown): unknown {
  if (KindGuard.IsObject(schema) && isPlainRecord(value)) {
    const out: Record<string, unknown> = {};
    const props = schema.properties;
    for (const key of Object.keys(props)) {
      if (!Object.hasOwn(value, key) || value[key] === undefined) continue;
      out[key] = prune(props[key] as TSchema, value[key]);
    }
    return out;
  }
  if (KindGuard.IsArray(schema) && Array.isArray(value)) {
    const items = schema.items;
    return value.map((v) => prune(items, v));
  }
  if (KindGuard.IsRecord(schema) && isPlainRecord(value)) {
    const [inner] = Object.values(schema.patternProperties);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = inner ? prune(inner, value[key]) : value[key];
    return out;
  }
  if (KindGuard.IsUnion(schema)) {
    const branch = schema.anyOf.find((s) => compiled(s).Check(value));
    return branch ? prune(branch, value) : value;
  }
  return value;
}

export function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return v === null ? 'null' : typeof v;
}
