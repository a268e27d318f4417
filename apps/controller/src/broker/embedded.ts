/**
 * Embedded aedes broker on loopback (TCP, optional MQTT-over-WebSocket) with device authentication and ACLs.
 *
 * Authentication: username = device id, password = the secret issued at provisioning (sha256 compared in constant
 * time), and the MQTT client id must be the device's own (its id, or the agent's default `lw-agent-<id>`). Aedes drops an existing session when a new connection
 * with the same client id is *accepted*; since only the device's own credentials are accepted for that client id,
 * nobody else can knock a device off.
 *
 * The controller itself does not connect over the network: it subscribes and publishes in-process (see Bus).
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AuthErrorCode, type Client } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Ctx } from '../context.js';
import { tokenMatches } from '../auth/password.js';
import type { DeviceRow } from '../store/types.js';
import { addressOf, allowedClientIds, mayPublish, maySubscribe } from './acl.js';
import type { Bus, BusHandler, BusPublication } from './bus.js';

const BAD_USERNAME_OR_PASSWORD = 4 as AuthErrorCode;
const IDENTIFIER_REJECTED = 2 as AuthErrorCode;

function authError(message: string, returnCode: AuthErrorCode): Error & { returnCode: AuthErrorCode } {
  return Object.assign(new Error(message), { returnCode });
}

export interface EmbeddedBroker extends Bus {
  readonly port: number;
  readonly wsPort: number | null;
  readonly connectedClients: number;
  /** Closes the device's live connection, if any (e.g. after it was disabled). */
  disconnect(deviceId: string): void;
}

export async function startEmbeddedBroker(
  ctx: Ctx,
  opts: { host: string; port: number; wsPort: number | null },
): Promise<EmbeddedBroker> {
  const devices = new WeakMap<Client, DeviceRow>();
  const aedes = new Aedes({
    authenticate: (client, username, password, done) => {
      const reject = (why: string, code = BAD_USERNAME_OR_PASSWORD): void => {
        ctx.log.warn({ code: 'LW_CTRL_BROKER_AUTH', clientId: client.id, username, why }, 'mqtt connect rejected');
        done(authError(why, code), false);
      };
      if (!username || !password) return reject('missing credentials');
      ctx.store.devices.find(username).then(
        (device) => {
          if (!device || device.disabledAt) return reject('unknown or disabled device');
          if (!tokenMatches(password.toString('utf8'), device.credentialHash)) return reject('bad password');
          if (!allowedClientIds(device.id).includes(client.id)) {
            return reject('client id must be the device id or lw-agent-<device id>', IDENTIFIER_REJECTED);
          }
          devices.set(client, device);
          done(null, true);
        },
        (err: unknown) => {
          ctx.log.error({ err }, 'mqtt authentication failed on store error');
          reject('store unavailable');
        },
      );
    },
    authorizePublish: (client, packet, done) => {
      // client is null for in-process publishes by the controller itself.
      if (!client) return done(null);
      const device = devices.get(client);
      if (device && mayPublish(addressOf(device), packet.topic)) return done(null);
      ctx.log.warn({ code: 'LW_CTRL_BROKER_ACL', clientId: client.id, topic: packet.topic }, 'mqtt publish denied');
      done(new Error('LW_CTRL_BROKER_ACL'));
    },
    authorizeSubscribe: (client, sub, done) => {
      const device = devices.get(client);
      if (device && maySubscribe(addressOf(device), sub.topic)) return done(null, sub);
      ctx.log.warn({ code: 'LW_CTRL_BROKER_ACL', clientId: client.id, topic: sub.topic }, 'mqtt subscribe denied');
      done(null, null); // negative SUBACK, connection stays up
    },
  });
  await aedes.listen();
  aedes.on('clientError', (client, err) => ctx.log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));

  // No Nagle: acks and PUBACKs are small writes that otherwise wait for the peer's delayed ACK (~40 ms each). In the
  // bench this took publish→ack p50 from 44 ms to 25 ms and events/s from ~350 to ~500 on the same machine.
  const tcp: Server = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  let http: HttpServer | null = null;
  let wss: WebSocketServer | null = null;
  const listen = (server: Server | HttpServer, port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host, () => resolve());
    });
  try {
    await listen(tcp, opts.port);
    if (opts.wsPort !== null) {
      http = createHttpServer();
      wss = new WebSocketServer({ server: http });
      wss.on('connection', (ws, req) => aedes.handle(createWebSocketStream(ws), req));
      await listen(http, opts.wsPort);
    }
  } catch (e) {
    // A taken port must not leave aedes' timers (or the other listener) keeping the process alive.
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (tcp.listening) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    wss?.close();
    throw e;
  }

  return {
    port: (tcp.address() as AddressInfo).port,
    wsPort: http ? (http.address() as AddressInfo).port : null,
    get connectedClients() {
      return aedes.connectedClients;
    },
    disconnect(deviceId: string) {
      const clients = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;
      for (const id of allowedClientIds(deviceId)) clients[id]?.close();
    },
    async subscribe(filter: string, handler: BusHandler) {
      await new Promise<void>((resolve) =>
        aedes.subscribe(
          filter,
          (packet, cb) => {
            // Acknowledge delivery at once and let the handler run on its own queue: holding the callback would
            // stall aedes' emitter (and our own ack publishes with it).
            cb();
            handler(packet.topic, Buffer.from(packet.payload as Uint8Array));
          },
          resolve,
        ),
      );
    },
    async publish(p: BusPublication) {
      await new Promise<void>((resolve, reject) =>
        aedes.publish(
          { cmd: 'publish', topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos, retain: p.retain, dup: false },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    },
    async close() {
      for (const c of wss?.clients ?? []) c.terminate();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
