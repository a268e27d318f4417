/**
 * fast-check arbitraries DERIVED from the TypeBox schemas (not hand-written per message), so a schema change is
 * exercised by the property tests automatically. Binary fields get valid image signatures; cross-field rules are
 * applied as a filter with the package's own checker.
 */
import fc from 'fast-check';
import { Kind, OptionalKind } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { pngHeader } from '../src/images.js';
import { FLOAT32_KIND } from '../src/messages/common.js';
import { MESSAGE_SCHEMAS } from '../src/messages/index.js';
import type { MessageOf } from '../src/messages/index.js';
import { MESSAGE_KINDS } from '../src/kinds.js';
import type { MessageKind } from '../src/kinds.js';
import { isMessage } from '../src/validate.js';

/** Keep generated blobs small: the properties are about structure, not throughput. */
const MAX_BLOB = 48;
const MAX_ITEMS = 4;

type S = TSchema & Record<string, unknown>;

export function arbitraryFor(schema: TSchema): fc.Arbitrary<unknown> {
  const s = schema as S;
  switch (s[Kind]) {
    case 'Object': {
      const props = s['properties'] as Record<string, TSchema>;
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const requiredKeys: string[] = [];
      for (const [key, sub] of Object.entries(props)) {
        model[key] = arbitraryFor(sub);
        if ((sub as S)[OptionalKind] !== 'Optional') requiredKeys.push(key);
      }
      return fc.record(model, { requiredKeys, noNullPrototype: true });
    }
    case 'String':
      return stringFor(s);
    case 'Integer': {
      const min = (s['minimum'] as number | undefined) ?? -1e6;
      const max = (s['maximum'] as number | undefined) ?? 1e6;
      return fc.oneof(
        fc.integer({ min: Math.max(min, 0), max: Math.min(max, 1000) }),
        fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number),
      );
    }
    case 'Number': {
      const min = (s['minimum'] as number | undefined) ?? (s['exclusiveMinimum'] as number | undefined) ?? -1e9;
      const max = (s['maximum'] as number | undefined) ?? 1e9;
      return fc
        .double({ min, max, noNaN: true, noDefaultInfinity: true })
        .map((v) => (Object.is(v, -0) ? 0 : v)) // JSON has no -0
        .filter((v) => s['exclusiveMinimum'] === undefined || v > (s['exclusiveMinimum'] as number));
    }
    case 'Boolean':
      return fc.boolean();
    case 'Null':
      return fc.constant(null);
    case 'Literal':
      return fc.constant(s['const']);
    case 'Union':
      return fc.oneof(...(s['anyOf'] as TSchema[]).map(arbitraryFor));
    case 'Array':
      return fc.array(arbitraryFor(s['items'] as TSchema), {
        minLength: (s['minItems'] as number | undefined) ?? 0,
        maxLength: Math.min((s['maxItems'] as number | undefined) ?? MAX_ITEMS, MAX_ITEMS),
      });
    case 'Record': {
      const [pattern, value] = Object.entries(s['patternProperties'] as Record<string, TSchema>)[0] as [
        string,
        TSchema,
      ];
      return fc.dictionary(fc.stringMatching(new RegExp(pattern)), arbitraryFor(value), {
        maxKeys: MAX_ITEMS,
        noNullPrototype: true,
      });
    }
    case 'Uint8Array':
      return bytesFor(s);
    case FLOAT32_KIND:
      return fc.float32Array({
        minLength: (s['minLength'] as number | undefined) ?? 0,
        maxLength: Math.min((s['maxLength'] as number | undefined) ?? MAX_BLOB, MAX_BLOB),
        noNaN: true,
        noDefaultInfinity: true,
      });
    default:
      throw new Error(`no arbitrary for schema kind ${String(s[Kind])}`);
  }
}

function stringFor(s: S): fc.Arbitrary<string> {
  const min = (s['minLength'] as number | undefined) ?? 0;
  const max = (s['maxLength'] as number | undefined) ?? 64;
  const base = s['pattern']
    ? fc.stringMatching(new RegExp(s['pattern'] as string))
    : fc.string({ unit: 'binary', maxLength: Math.min(max, 64) });
  return base.filter((v) => v.length >= min && v.length <= max);
}

function bytesFor(s: S): fc.Arbitrary<Uint8Array> {
  const tail = fc.uint8Array({ maxLength: MAX_BLOB });
  const join = (head: Uint8Array, rest: Uint8Array): Uint8Array => {
    const out = new Uint8Array(head.length + rest.length);
    out.set(head);
    out.set(rest, head.length);
    return out;
  };
  if (s['contentMediaType'] === 'image/jpeg') return tail.map((t) => join(new Uint8Array([0xff, 0xd8, 0xff]), t));
  if (s['contentMediaType'] === 'image/png') {
    return fc
      .tuple(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 4096 }), tail)
      .map(([w, h, t]) => join(pngHeader(w, h), t));
  }
  return fc.uint8Array({ minLength: (s['minByteLength'] as number | undefined) ?? 0, maxLength: MAX_BLOB });
}

const cache = new Map<MessageKind, fc.Arbitrary<unknown>>();

/** A valid message of `kind` (schema-derived, then filtered by the kind's cross-field rules). */
export function messageArb<K extends MessageKind>(kind: K): fc.Arbitrary<MessageOf<K>> {
  let a = cache.get(kind);
  if (!a) {
    a = arbitraryFor(MESSAGE_SCHEMAS[kind]).filter((m) => isMessage(kind, m));
    cache.set(kind, a);
  }
  return a as fc.Arbitrary<MessageOf<K>>;
}

/** Any valid (kind, message) pair. */
export const anyMessageArb: fc.Arbitrary<{ kind: MessageKind; message: unknown }> = fc
  .constantFrom(...MESSAGE_KINDS)
  .chain((kind) => messageArb(kind).map((message) => ({ kind, message: message as unknown })));

export const segmentArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
