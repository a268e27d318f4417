/**
 * The fastify instance every route module registers on. With the TypeBox type provider the request (body, params,
 * querystring, headers) and reply types of a handler come from the route's schema in @linewatch/protocol/http, so
 * a handler cannot drift from the contract that fastify validates (ajv) and documents (/docs).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';

export type TypedApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
