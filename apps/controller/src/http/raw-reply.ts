/**
 * Replies with raw bytes (frames, maps, masks, dataset files, packages). Those routes declare no 2xx schema in
 * @linewatch/protocol/http — that is how clients know to read the answer as bytes — so the schema-typed reply of
 * their handlers only admits error bodies; the bytes go out through a plain FastifyReply here instead.
 */
import type { FastifyReply } from 'fastify';

export function sendRaw(
  reply: FastifyReply,
  bytes: Uint8Array,
  headers: Readonly<Record<string, string>>,
): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.send(bytes);
}
