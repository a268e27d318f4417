/**
 * The QA review UI: a small vanilla-JS single-page app (ui/), served as static files. It talks only to the /api
 * routes, so it gets exactly the same authentication, CSRF and visibility checks as any other client.
 */
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { TypedApp } from './http/typed-app.js';

export const UI_ROOT = fileURLToPath(new URL('../ui/', import.meta.url));

export async function registerUi(app: TypedApp): Promise<void> {
  await app.register(fastifyStatic, { root: UI_ROOT, prefix: '/ui/', index: false });
  app.get('/', { schema: { hide: true } }, (_req, reply) => reply.sendFile('index.html'));
}
