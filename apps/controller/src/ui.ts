/**
 * The QA review UI: a small vanilla-JS single-page app (ui/), served as static files. It talks only to the /api
 * routes, so it gets exactly the same authentication, CSRF and visibility checks as any other client.
 */
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export const UI_ROOT = fileURLToPath(new URL('../ui/', import.meta.url));

export async function registerUi(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: UI_ROOT, prefix: '/ui/', index: false });
  app.get('/', { schema: { hide: true } }, (_req, reply) => reply.sendFile('index.html'));
}
