/**
 * OPC UA user/password check. Passwords never live in memory or logs in clear longer than it takes to hash them:
 * the config holds scrypt hashes, or names a file (a mounted secret) whose content is hashed at start-up.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AgentError, reasonOf } from '../../errors.js';
import type { OpcUaUserConfig } from './schema.js';

const KEY_BYTES = 32;
const SCRYPT = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt:<salt hex>:<key hex>`, the form `opcua.users[].passwordHash` takes. */
export async function hashPassword(password: string, salt: Buffer = randomBytes(16)): Promise<string> {
  return `scrypt:${salt.toString('hex')}:${(await derive(password, salt)).toString('hex')}`;
}

interface StoredUser {
  readonly salt: Buffer;
  readonly key: Buffer;
}

export class UserStore {
  private constructor(private readonly users: ReadonlyMap<string, StoredUser>) {}

  /** Reads password files and parses hashes; a file that cannot be read is a coded start-up error. */
  static async load(users: readonly OpcUaUserConfig[]): Promise<UserStore> {
    const map = new Map<string, StoredUser>();
    for (const u of users) {
      const hash = u.passwordHash ?? (await hashPassword(await readPasswordFile(u.name, u.passwordFile!)));
      const [, salt, key] = hash.split(':');
      map.set(u.name, { salt: Buffer.from(salt!, 'hex'), key: Buffer.from(key!, 'hex') });
    }
    return new UserStore(map);
  }

  get size(): number {
    return this.users.size;
  }

  /** Same work (one scrypt) for unknown names as for known ones, so timing says nothing about which names exist. */
  async verify(name: string, password: string): Promise<boolean> {
    const user = this.users.get(name);
    const key = await derive(password, user?.salt ?? Buffer.alloc(16));
    return user !== undefined && timingSafeEqual(key, user.key);
  }
}

async function readPasswordFile(user: string, file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AgentError('LW_AGENT_OPCUA_USERS', `OPC UA user ${user}: password file unreadable: ${reasonOf(e)}`, {
      user,
      file,
    });
  }
  // A trailing newline from `echo secret > file` is not part of the password.
  const password = text.replace(/\r?\n$/, '');
  if (password.length === 0)
    throw new AgentError('LW_AGENT_OPCUA_USERS', `OPC UA user ${user}: password file is empty`, { user, file });
  return password;
}
