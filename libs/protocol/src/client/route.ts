/**
 * Type-level view of the HTTP route objects in `../http/*` (`{ method, url, schema }`, fastify's shape): what a call
 * must send (params, query, body) and what a successful answer holds, all derived from the route's TypeBox schemas
 * with `Static<>` — so a schema change in the contract is a compile error in every client.
 */
import type { Static, TSchema } from '@sinclair/typebox';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The part of a route's `schema` the client reads (tags, description and the like are ignored). */
export interface RouteSchema {
  readonly params?: TSchema;
  readonly querystring?: TSchema;
  readonly body?: TSchema;
  readonly response?: { readonly [status: number]: TSchema };
  /** Raw request body types (e.g. `application/x-tar`); the first is the default content-type. */
  readonly consumes?: readonly string[];
  /** Raw (non-JSON) answer types; informational — a route without a 2xx schema answers bytes. */
  readonly produces?: readonly string[];
}

export interface Route {
  readonly method: HttpMethod;
  readonly url: string;
  readonly schema: RouteSchema;
}

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206;
type Responses<R extends Route> = R['schema'] extends { response: infer M } ? M : Record<never, never>;
type SuccessKeys<R extends Route> = Extract<keyof Responses<R>, SuccessStatus>;

/**
 * The body of a successful answer: the union of the route's 2xx schemas, or the raw bytes for a route that declares
 * none (file downloads: frames, masks, packages).
 */
export type ReplyOf<R extends Route> = [SuccessKeys<R>] extends [never]
  ? Uint8Array
  : { [S in SuccessKeys<R>]: Responses<R>[S] extends TSchema ? Static<Responses<R>[S]> : never }[SuccessKeys<R>];

/** `{ key: T }`, or `{ key?: T }` when every field of T is optional (so `{}` would do). */
type Slot<K extends string, T> = Record<never, never> extends T ? { readonly [P in K]?: T } : { readonly [P in K]: T };

type ParamsArg<R extends Route> = R['schema'] extends { params: infer P extends TSchema }
  ? Slot<'params', Static<P>>
  : { readonly params?: undefined };
type QueryArg<R extends Route> = R['schema'] extends { querystring: infer Q extends TSchema }
  ? Slot<'query', Static<Q>>
  : { readonly query?: undefined };
type BodyArg<R extends Route> = R['schema'] extends { body: infer B extends TSchema }
  ? { readonly body: Static<B>; readonly contentType?: undefined }
  : {
      /** Raw bytes for a route without a JSON body schema (package and mask uploads). */
      readonly body?: Uint8Array;
      /** Defaults to the route's first `consumes` type, else application/octet-stream. */
      readonly contentType?: string;
    };

export interface CommonArgs {
  /** Extra request headers (the client's auth headers are added unless set here). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A path the controller handed out for this route (e.g. a claim's `manifestUrl` or `packageUrl`), used instead of
   * filling the route's url; `query` is still appended and the answer is still checked against the route.
   */
  readonly path?: string;
  /** Overrides the client's timeout for this call (e.g. a large upload). */
  readonly timeoutMs?: number;
}

/** With `path` (a url the controller handed out) the route's url params are not needed. */
type Target<R extends Route> = ParamsArg<R> | { readonly path: string; readonly params?: undefined };

export type CallArgs<R extends Route> = CommonArgs & Target<R> & QueryArg<R> & BodyArg<R>;

/** The argument list of `call(route, …)`: optional when the route needs nothing. */
export type CallRest<R extends Route> =
  Record<never, never> extends CallArgs<R> ? [args?: CallArgs<R>] : [args: CallArgs<R>];

/** A successful call with what came with it (login reads the session cookie from `headers`). */
export interface Reply<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}
