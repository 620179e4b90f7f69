import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretType } from '../../domain/cluster.js';
import type { SecretInfo, SecretValuesByType } from '../../domain/secrets.js';

interface StoredSecret extends SecretInfo {
  /** AES-256-GCM of the JSON values: nonce, tag, ciphertext, base64. */
  iv: string;
  tag: string;
  data: string;
}

/**
 * Credentials, encrypted at rest (AES-256-GCM), one file per secret under
 * `<dir>/<org>/`. The org and secret ID are bound into each ciphertext as
 * associated data, so a file copied to another org or ID does not decrypt.
 */
export class SecretStore {
  constructor(
    private readonly dir: string,
    private readonly key: Buffer,
  ) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes (FLOTILLA_SECRET_KEY: base64 of 32 random bytes)');
  }

  async create<T extends SecretType>(org: string, name: string, type: T, values: SecretValuesByType[T]): Promise<SecretInfo> {
    const info: SecretInfo = { id: `sec-${randomBytes(8).toString('hex')}`, name, type, createdAt: new Date().toISOString() };
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${org}/${info.id}`));
    const data = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    const stored: StoredSecret = { ...info, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    mkdirSync(join(this.dir, org), { recursive: true, mode: 0o700 });
    const file = this.file(org, info.id);
    await writeFile(`${file}.tmp`, JSON.stringify(stored), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
    return info;
  }

  async list(org: string): Promise<SecretInfo[]> {
    const names = await readdir(join(this.dir, org)).catch(() => [] as string[]);
    const infos = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.read(org, n.slice(0, -5))));
    return infos.filter((s): s is StoredSecret => s !== undefined).map(toInfo).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(org: string, id: string): Promise<SecretInfo | undefined> {
    const stored = await this.read(org, id);
    return stored && toInfo(stored);
  }

  /** The decrypted values, checked to be of the type the caller expects. */
  async values<T extends SecretType>(org: string, id: string, type: T): Promise<SecretValuesByType[T]> {
    const stored = await this.read(org, id);
    if (!stored) throw new Error(`secret ${id} not found`);
    if (stored.type !== type) throw new Error(`secret ${id} holds ${stored.type} credentials, not ${type}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(stored.iv, 'base64'));
    decipher.setAAD(Buffer.from(`${org}/${id}`));
    decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(stored.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as SecretValuesByType[T];
  }

  async delete(org: string, id: string): Promise<boolean> {
    const file = this.file(org, id);
    if (!existsSync(file)) return false;
    await rm(file);
    return true;
  }

  private async read(org: string, id: string): Promise<StoredSecret | undefined> {
    if (!/^sec-[0-9a-f]{16}$/.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(this.file(org, id), 'utf8')) as StoredSecret;
    } catch {
      return undefined;
    }
  }

  private file(org: string, id: string): string {
    return join(this.dir, org, `${id}.json`);
  }
}

function toInfo({ id, name, type, createdAt }: StoredSecret): SecretInfo {
  return { id, name, type, createdAt };
}

/**
 * The store key: FLOTILLA_SECRET_KEY (base64 of 32 bytes), or one generated
 * once into the data directory for the embedded default.
 */
export function secretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (env.FLOTILLA_SECRET_KEY) return Buffer.from(env.FLOTILLA_SECRET_KEY, 'base64');
  const file = join(dataDir, 'secret-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

export function openSecretStore(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretStore {
  return new SecretStore(join(dataDir, 'secrets'), secretKey(dataDir, env));
}
