/**
 * Enrollment (contract: @linewatch/protocol/http enrollment.ts). Admins mint one-time tokens bound to a line and a
 * device id; a device trades its token, with no session, for credentials, broker URLs, the CA certificate, the
 * trusted signing keys and the line's live model. The device row is created (or re-keyed) exactly as provisioning
 * does it — broker first, then the row — and the token is consumed in the same transaction as the row, so a token
 * never yields two sets of credentials.
 */
import { randomUUID } from 'node:crypto';
import { devicePrefix } from '@linewatch/protocol';
import {
  CreateEnrollmentTokenRoute,
  EnrollRoute,
  ListEnrollmentTokensRoute,
  RevokeEnrollmentTokenRoute,
  type EnrollBody,
  type EnrollReply,
} from '@linewatch/protocol/http';
import type { FastifyBaseLogger } from 'fastify';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { requireAuth } from '../auth/guard.js';
import { hashToken, newSecret } from '../auth/password.js';
import { allowedClientIds } from '../broker/acl.js';
import type { BrokerProvisioner } from '../broker/provisioning.js';
import { deviceView } from '../devices/routes.js';
import type { DownloadTokens } from '../registry/download-token.js';
import type { Registry } from '../registry/registry.js';
import type { DeviceRow, EnrollmentRow } from '../store/types.js';
import { enrolledModel, lineLiveModel } from './live-model.js';
import { enrollmentState, enrollmentView } from './tokens.js';

export interface EnrollmentDeps {
  provisioner: BrokerProvisioner;
  registry: Registry;
  tokens: DownloadTokens;
  /** The controller's base URL as devices reach it (resolved per request: the port may be chosen at listen time). */
  baseUrl: () => string;
  /** Broker URL(s) devices connect to, preferred first. */
  brokerUrls: () => string[];
  /** PEM of the CA devices verify the controller and broker against; null without TLS. */
  caCertPem: string | null;
  /** PEM public keys model packages are signed with. */
  trustedKeys: string[];
}

export function registerEnrollmentRoutes(app: TypedApp, ctx: Ctx, deps: EnrollmentDeps): void {
  createTokenRoute(app, ctx);
  app.route({
    ...ListEnrollmentTokensRoute,
    config: { access: 'admin' },
    handler: async () => {
      const now = ctx.clock.now();
      return { tokens: (await ctx.store.enrollment.list()).map((r) => enrollmentView(r, now)) };
    },
  });
  app.route({
    ...RevokeEnrollmentTokenRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const row = await ctx.store.enrollment.revoke(req.params.id, ctx.clock.now());
      if (!row) throw ctrlError('LW_CTRL_NOT_FOUND', 'enrollment token not found');
      req.log.info({ enrollment: row.id, device: row.device }, 'enrollment token revoked');
      return enrollmentView(row, ctx.clock.now());
    },
  });
  enrollRoute(app, ctx, deps);
}

function createTokenRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...CreateEnrollmentTokenRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const body = req.body;
      const existing = await ctx.store.devices.find(body.device);
      if (existing && existing.line !== body.line)
        throw ctrlError('LW_CTRL_CONFLICT', `device ${body.device} exists on line ${existing.line}`);
      // A deleted device's events keep its id: a new device under it would collide on their sequence numbers.
      if (!existing && (await ctx.store.devices.hasHistory(body.device)))
        throw ctrlError('LW_CTRL_CONFLICT', `device id ${body.device} still has events of a deleted device`);
      const token = newSecret(24);
      const now = ctx.clock.now();
      const row: EnrollmentRow = {
        id: randomUUID(),
        tokenHash: hashToken(token),
        line: body.line,
        site: existing?.site ?? body.site ?? 'default',
        device: body.device,
        name: body.name ?? existing?.name ?? body.device,
        createdAt: now,
        expiresAt: new Date(now.getTime() + body.expiresInMinutes * 60_000),
        createdBy: user.username,
        usedAt: null,
        usedBy: null,
        revokedAt: null,
      };
      await ctx.store.enrollment.create(row);
      req.log.info({ enrollment: row.id, device: row.device, line: row.line }, 'enrollment token created');
      return reply.status(201).send({ token, enrollment: enrollmentView(row, now) });
    },
  });
}

/** The coded refusal for a token that is not pending (unknown and revoked look the same to the device). */
function refusal(row: EnrollmentRow | null, now: Date): Error {
  const state = row ? enrollmentState(row, now) : 'revoked';
  if (state === 'used') return ctrlError('LW_CTRL_ENROLL_TOKEN_USED');
  if (state === 'expired') return ctrlError('LW_CTRL_ENROLL_TOKEN_EXPIRED');
  return ctrlError('LW_CTRL_ENROLL_TOKEN_UNKNOWN');
}

function enrollRoute(app: TypedApp, ctx: Ctx, deps: EnrollmentDeps): void {
  app.route({
    ...EnrollRoute,
    config: { access: 'public', rateLimit: { max: ctx.config.auth.loginMaxPerMinute, timeWindow: 60_000 } },
    handler: async (req) => {
      const device = await enroll(ctx, deps, req.body, req.log);
      const base = deps.baseUrl();
      const live = await lineLiveModel(ctx, deps.registry, device.line, device.id);
      return {
        device: deviceView(device.row),
        credentials: {
          username: device.id,
          password: device.secret,
          clientId: allowedClientIds(device.id)[1] as string, // the agent's default client id
          topicPrefix: devicePrefix({ site: device.row.site, line: device.line, device: device.id }),
        },
        brokerUrls: deps.brokerUrls(),
        controllerUrl: base,
        caCertPem: deps.caCertPem,
        trustedKeys: deps.trustedKeys,
        model: live && (await enrolledModel(live, deps.tokens, base, device.id)),
      } satisfies EnrollReply;
    },
  });
}

interface Enrolled {
  id: string;
  line: string;
  row: DeviceRow;
  secret: string;
}

/** Checks the token, provisions the broker, then consumes the token and writes the device row in one transaction. */
async function enroll(ctx: Ctx, deps: EnrollmentDeps, body: EnrollBody, log: FastifyBaseLogger): Promise<Enrolled> {
  const now = ctx.clock.now();
  const token = await ctx.store.enrollment.findByHash(hashToken(body.token));
  if (!token || enrollmentState(token, now) !== 'pending') throw refusal(token, now);
  const existing = await ctx.store.devices.find(token.device);
  if (existing && existing.line !== token.line)
    throw ctrlError('LW_CTRL_CONFLICT', `device ${token.device} was moved to line ${existing.line}`);
  const secret = newSecret();
  const row: DeviceRow = existing
    ? { ...existing, credentialHash: hashToken(secret), disabledAt: null }
    : {
        id: token.device,
        name: token.name,
        site: token.site,
        line: token.line,
        credentialHash: hashToken(secret),
        createdAt: now,
        disabledAt: null,
      };
  await deps.provisioner.provision(row, secret);
  const consumed = await ctx.store.enrollment.consume(token.id, now, body.hostname ?? null, row).catch(async (e) => {
    if (!existing) await undoProvisioning(deps, row.id, log);
    throw e;
  });
  if (consumed === null) {
    // Lost a race with another use (or a revoke) of the same token: nothing was written.
    if (!existing) await undoProvisioning(deps, row.id, log);
    throw refusal(await ctx.store.enrollment.find(token.id), now);
  }
  // The embedded broker reads the rows: a session still open with the old secret is closed here (dynsec replaces the
  // client's password in provision()).
  if (consumed === 'rekeyed' && deps.provisioner.kind === 'store') await deps.provisioner.disable(row.id);
  log.info(
    { deviceId: row.id, line: row.line, host: body.hostname, agentVersion: body.agentVersion, consumed },
    'device enrolled',
  );
  return { id: row.id, line: row.line, row, secret };
}

async function undoProvisioning(deps: EnrollmentDeps, id: string, log: FastifyBaseLogger): Promise<void> {
  await deps.provisioner
    .remove(id)
    .catch((err: unknown) => log.error({ err, deviceId: id }, 'could not undo broker provisioning'));
}
