/**
 * Device provisioning into an external Mosquitto 2 through its dynamic-security plugin: the controller sends JSON
 * commands to `$CONTROL/dynamic-security/v1` with its own admin client and waits for the matching response
 * (correlationData). Chosen over a password_file + acl_file + SIGHUP because it needs no shared file system and no
 * pid, takes effect at once (disabling a client also kicks its live connection) and hashes passwords itself, so the
 * plaintext secret leaves the controller only inside the command, once.
 *
 * Per device: a role `lw-device-<id>` with publishClientSend allows for its agent→controller filters and
 * subscribeLiteral allows for its own command filters (broker/acl.ts deviceTopicRules; everything else falls to the
 * default deny), and a client username=<id>, clientid=`lw-agent-<id>` (so a connection with that client id needs
 * the device's password: nobody else can take its session over), holding that role.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { DeviceRow } from '../store/types.js';
import { addressOf, allowedClientIds, deviceTopicRules } from './acl.js';
import type { BrokerProvisioner } from './provisioning.js';

const CONTROL = '$CONTROL/dynamic-security/v1';
const RESPONSE = `${CONTROL}/response`;

export interface DynsecOptions {
  url: string;
  username: string | null;
  password: string | null;
  timeoutMs: number;
}

type Command = { command: string } & Record<string, unknown>;
interface Response {
  command: string;
  error?: string;
  data?: unknown;
  correlationData?: string;
}

export interface DynsecProvisioner extends BrokerProvisioner {
  /** Brings the broker in line with the store at start-up: disabled devices disabled; missing clients reported. */
  reconcile(devices: DeviceRow[]): Promise<void>;
  /** Sends raw commands (tests and reconcile); resolves with one response per command. */
  send(commands: Command[]): Promise<Response[]>;
}

export const roleName = (deviceId: string): string => `lw-device-${deviceId}`;

/** Connects the controller's admin client and subscribes to the responses (refused: the user lacks the admin role). */
async function connectAdmin(opts: DynsecOptions): Promise<MqttClient> {
  try {
    const client = await mqtt.connectAsync(opts.url, {
      clientId: `lw-controller-dynsec-${randomBytes(4).toString('hex')}`,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: opts.timeoutMs,
      ...(opts.username !== null && { username: opts.username }),
      ...(opts.password !== null && { password: opts.password }),
    });
    const granted = await client.subscribeAsync(RESPONSE, { qos: 1 });
    if (granted.some((g) => g.qos >= 128)) {
      await client.endAsync(true);
      throw ctrlError(
        'LW_CTRL_BROKER_ACL',
        `the controller's MQTT user may not subscribe to ${RESPONSE} (dynamic-security admin role needed)`,
      );
    }
    return client;
  } catch (e) {
    if ((e as { code?: string }).code === 'LW_CTRL_BROKER_ACL') throw e;
    throw ctrlError(
      'LW_CTRL_BROKER_UNAVAILABLE',
      `cannot connect to the MQTT broker for provisioning: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/** Request/response over the control topic: each batch of commands carries one correlation id. */
class DynsecChannel {
  private readonly pending = new Map<string, { resolve: (r: Response[]) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly client: MqttClient,
    private readonly timeoutMs: number,
    ctx: Ctx,
  ) {
    // A clean session forgets the response subscription on reconnect.
    client.on('connect', (ack) => {
      if (!ack.sessionPresent) client.subscribe(RESPONSE, { qos: 1 });
    });
    client.on('error', (err) => ctx.log.warn({ err: err.message }, 'dynsec client error'));
    client.on('message', (topic, payload) => {
      if (topic === RESPONSE) this.answer(payload);
    });
  }

  private answer(payload: Buffer): void {
    let responses: Response[];
    try {
      responses = (JSON.parse(payload.toString('utf8')) as { responses: Response[] }).responses;
    } catch {
      return;
    }
    const id = Array.isArray(responses) ? responses[0]?.correlationData : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || !id) return; // another admin's response, or one that timed out
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(responses);
  }

  async send(commands: Command[]): Promise<Response[]> {
    const id = randomBytes(8).toString('hex');
    const answered = new Promise<Response[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(ctrlError('LW_CTRL_BROKER_UNAVAILABLE', `no dynamic-security response within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
    const published = this.client
      .publishAsync(CONTROL, JSON.stringify({ commands: commands.map((c) => ({ ...c, correlationData: id })) }), {
        qos: 1,
      })
      .catch((e: unknown) => {
        clearTimeout(this.pending.get(id)?.timer);
        this.pending.delete(id);
        // MQTT 5 PUBACK 0x87: the broker took the command but our user may not send it.
        if ((e as { code?: number }).code === 135) {
          throw ctrlError(
            'LW_CTRL_BROKER_ACL',
            `the controller's MQTT user may not publish to ${CONTROL} (dynamic-security admin role needed)`,
            { cause: e },
          );
        }
        throw ctrlError(
          'LW_CTRL_BROKER_UNAVAILABLE',
          `cannot send a dynamic-security command: ${(e as Error).message}`,
          { cause: e },
        );
      });
    // While the broker is away mqtt.js queues the publish: the response timeout bounds the wait either way.
    published.catch(() => {}); // observed through the race below; this only keeps a late failure from going unhandled
    await Promise.race([published, answered]);
    return answered;
  }

  /** Sends, and fails on any error other than the listed (expected, harmless) ones. */
  async run(commands: Command[], harmless: string[] = []): Promise<Response[]> {
    const responses = await this.send(commands);
    const failed = responses.filter((r) => r.error !== undefined && !harmless.includes(r.error));
    if (failed.length > 0) {
      const what = failed.map((r) => `${r.command}: ${r.error}`).join('; ');
      throw ctrlError('LW_CTRL_BROKER_PROVISION_FAILED', `the broker refused provisioning (${what})`, {
        details: failed,
      });
    }
    return responses;
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    // Forced: a command still queued for an unreachable broker must not hold the shutdown.
    await this.client.endAsync(true);
  }
}

const forget = (deviceId: string): Command[] => [
  { command: 'deleteClient', username: deviceId },
  { command: 'deleteRole', rolename: roleName(deviceId) },
];
const NOT_FOUND = ['Client not found', 'Role not found'];
/** Commands per dynamic-security message when reconciling ACLs (a large fleet's would be megabytes in one). */
const ACL_BATCH = 500;

/** The device's ACLs, from the protocol's topic table (broker/acl.ts). */
function deviceAcls(device: DeviceRow): { acltype: string; topic: string; allow: boolean }[] {
  const rules = deviceTopicRules(addressOf(device));
  return [
    ...rules.publish.map((topic) => ({ acltype: 'publishClientSend', topic, allow: true })),
    ...rules.subscribe.map((topic) => ({ acltype: 'subscribeLiteral', topic, allow: true })),
  ];
}

/** The role with the device's ACLs and the client holding it, after clearing a leftover of the same device. */
function provisionCommands(device: DeviceRow, secret: string): Command[] {
  const acls = deviceAcls(device);
  return [
    ...forget(device.id), // a leftover from an earlier, half-finished provisioning (the store has no such device)
    { command: 'createRole', rolename: roleName(device.id), textname: `linewatch device ${device.id}`, acls },
    {
      command: 'createClient',
      username: device.id,
      password: secret,
      clientid: allowedClientIds(device.id)[1],
      textname: device.name,
      roles: [{ rolename: roleName(device.id) }],
    },
  ];
}

async function reconcile(ctx: Ctx, channel: DynsecChannel, devices: DeviceRow[]): Promise<void> {
  const [r] = await channel.run([{ command: 'listClients', verbose: true, count: -1 }]);
  const clients = (r?.data as { clients?: Array<{ username: string; disabled?: boolean }> } | undefined)?.clients ?? [];
  const known = new Map(clients.map((c) => [c.username, c.disabled === true]));
  const toDisable = devices.filter((d) => d.disabledAt !== null && known.get(d.id) === false).map((d) => d.id);
  if (toDisable.length > 0) {
    await channel.run(toDisable.map((username) => ({ command: 'disableClient', username })));
    ctx.log.warn({ devices: toDisable }, 'disabled devices were still enabled on the broker; disabled them');
  }
  // A role made before a kind joined the protocol (e.g. scoreSketch) lacks its ACL: add every current one; those a
  // role already has are refused as duplicates, harmlessly.
  const current = devices.filter((d) => d.disabledAt === null && known.has(d.id));
  const upgrades = current.flatMap((d) =>
    deviceAcls(d).map((acl) => ({ command: 'addRoleACL', rolename: roleName(d.id), ...acl })),
  );
  for (let i = 0; i < upgrades.length; i += ACL_BATCH)
    await channel.run(upgrades.slice(i, i + ACL_BATCH), ['ACL with this topic already exists']);
  const missing = devices.filter((d) => d.disabledAt === null && !known.has(d.id)).map((d) => d.id);
  if (missing.length > 0) {
    ctx.log.warn(
      { code: 'LW_CTRL_BROKER_AUTH', devices: missing },
      'devices without dynamic-security credentials on the broker (provisioned before it was used?): they cannot connect until re-provisioned',
    );
  }
}

export async function connectDynsecProvisioner(ctx: Ctx, opts: DynsecOptions): Promise<DynsecProvisioner> {
  const channel = new DynsecChannel(await connectAdmin(opts), opts.timeoutMs, ctx);
  return {
    kind: 'mosquitto-dynsec',
    send: (commands) => channel.send(commands),
    async provision(device: DeviceRow, secret: string) {
      await channel.run(provisionCommands(device, secret), NOT_FOUND);
    },
    async disable(deviceId: string) {
      // Mosquitto also disconnects the client's live session.
      const [r] = await channel.run([{ command: 'disableClient', username: deviceId }], ['Client not found']);
      if (r?.error)
        ctx.log.warn({ deviceId }, 'disabled device has no dynamic-security client (it cannot connect anyway)');
    },
    async remove(deviceId: string) {
      await channel.run(forget(deviceId), NOT_FOUND);
    },
    reconcile: (devices) => reconcile(ctx, channel, devices),
    close: () => channel.close(),
  };
}
