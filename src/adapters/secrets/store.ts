import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretType } from '../../domain/cluster.js';
import type { SecretInfo, SecretValuesByType } from '../../domain/secrets.js';
import { keyRingFile, parseKeyRing, type RingKey } from '../../key-ring.js';

/**
 * The ID of a key given as a bare base64 key, the format from before key
 * rings. Secrets stored then name no key and decrypt with this one.
 */
export const LEGACY_KEY_ID = 'legacy';

interface StoredSecret extends SecretInfo {
  /** The key that encrypted `data`; absent in files from before key rings (the key LEGACY_KEY_ID). */
  keyId?: string;
  /** AES-256-GCM of the JSON values: nonce, tag, ciphertext, base64. */
  iv: string;
  tag: string;
  data: string;
}

/** A create of a name the org already has a secret by. */
export class SecretNameTaken extends Error {
  constructor(readonly secretName: string) {
    super(`a secret named '${secretName}' already exists`);
  }
}

export interface RotateResult {
  /** The key every secret is now under, but those that failed. */
  keyId: string;
  rewritten: number;
  unchanged: number;
  failed: { org: string; id: string; error: string }[];
}

/**
 * Credentials, encrypted at rest (AES-256-GCM), one file per secret under
 * `<dir>/<org>/`. The org and secret ID are bound into each ciphertext as
 * associated data, so a file copied to another org or ID does not decrypt.
 * The keys are a ring: the newest encrypts, each file names the key that
 * encrypted it, and `rotate()` rewrites every file under the newest.
 *
 * Names are unique in an org. A secret claims its name with a symlink
 * `<org>/names/<sha256 of the name>` → its ID: symlink(2) makes it whole in
 * one step and fails when it exists, so of concurrent creates, in this
 * process or another, one wins. The file is written before the claim and a
 * delete drops the claim before the file, so a crash leaves at worst a secret
 * without a claim; create also refuses a name a stored secret has, which
 * covers that and stores from before claims. In one process, creates,
 * deletes and rotations of an org run one at a time, so a delete cannot drop
 * a claim a create just made, nor a rewrite bring back a deleted file.
 */
export class SecretStore {
  private readonly keys: Map<string, Buffer>;
  private readonly newest: RingKey;
  /** The last create, delete or rotation of each org in this process, so the next one waits for it. */
  private readonly queues = new Map<string, Promise<unknown>>();

  /** `keys`: oldest first; one bare key, as the store took before key rings, is the key LEGACY_KEY_ID. */
  constructor(
    private readonly dir: string,
    keys: readonly RingKey[] | Buffer,
  ) {
    const ring = Buffer.isBuffer(keys) ? [{ id: LEGACY_KEY_ID, key: keys }] : keys;
    if (ring.length === 0 || ring.some((k) => k.key.length !== 32)) {
      throw new Error('the secret keys must be 32 bytes each (FLOTILLA_SECRET_KEY: id:base64key entries, newest last)');
    }
    this.keys = new Map(ring.map((k) => [k.id, k.key]));
    this.newest = ring[ring.length - 1]!;
  }

  /** Throws SecretNameTaken when the org has a secret by that name. */
  async create<T extends SecretType>(org: string, name: string, type: T, values: SecretValuesByType[T]): Promise<SecretInfo> {
    return this.exclusive(org, async () => {
      if ((await this.list(org)).some((s) => s.name === name)) throw new SecretNameTaken(name);
      const info: SecretInfo = { id: `sec-${randomBytes(8).toString('hex')}`, name, type, createdAt: new Date().toISOString() };
      mkdirSync(join(this.dir, org, 'names'), { recursive: true, mode: 0o700 });
      await this.write(org, { ...info, ...this.seal(org, info.id, values) });
      try {
        await symlink(info.id, this.claimPath(org, name));
      } catch (err) {
        await rm(this.file(org, info.id), { force: true });
        throw (err as NodeJS.ErrnoException).code === 'EEXIST' ? new SecretNameTaken(name) : err;
      }
      return info;
    });
  }

  async list(org: string): Promise<SecretInfo[]> {
    return (await this.stored(org)).map(toInfo).sort((a, b) => a.name.localeCompare(b.name));
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
    return this.open(org, stored) as SecretValuesByType[T];
  }

  /** Deletes the secret and frees its name. */
  async delete(org: string, id: string): Promise<boolean> {
    return this.exclusive(org, async () => {
      const stored = await this.read(org, id);
      if (!stored) return false;
      const claim = this.claimPath(org, stored.name);
      if ((await readlink(claim).catch(() => undefined)) === id) await rm(claim, { force: true });
      await rm(this.file(org, id), { force: true });
      return true;
    });
  }

  /**
   * Rewrites every secret not yet under the newest key with it, each file
   * replaced whole (written aside, renamed over). Once nothing failed, older
   * keys can be dropped.
   */
  async rotate(): Promise<RotateResult> {
    const result: RotateResult = { keyId: this.newest.id, rewritten: 0, unchanged: 0, failed: [] };
    const orgs = (await readdir(this.dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const org of orgs) {
      await this.exclusive(org, async () => {
        for (const stored of await this.stored(org)) {
          if (stored.keyId === this.newest.id) {
            result.unchanged++;
            continue;
          }
          try {
            await this.write(org, { ...toInfo(stored), ...this.seal(org, stored.id, this.open(org, stored)) }, true);
            result.rewritten++;
          } catch (err) {
            result.failed.push({ org, id: stored.id, error: (err as Error).message });
          }
        }
      });
    }
    return result;
  }

  /** Runs `fn` after every create, delete and rotation of `org` this store started before. */
  private exclusive<T>(org: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(org) ?? Promise.resolve()).then(fn);
    const settled = run.catch(() => undefined);
    this.queues.set(org, settled);
    void settled.then(() => this.queues.get(org) === settled && this.queues.delete(org));
    return run;
  }

  private seal(org: string, id: string, values: unknown): Pick<StoredSecret, 'keyId' | 'iv' | 'tag' | 'data'> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.newest.key, iv);
    cipher.setAAD(Buffer.from(`${org}/${id}`));
    const data = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return { keyId: this.newest.id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  private open(org: string, stored: StoredSecret): unknown {
    const keyId = stored.keyId ?? LEGACY_KEY_ID;
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`secret ${stored.id} is encrypted with key '${keyId}', which is not configured (FLOTILLA_SECRET_KEY, or the data directory's secret-key)`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(stored.iv, 'base64'), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(`${org}/${stored.id}`));
      decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
      return JSON.parse(Buffer.concat([decipher.update(Buffer.from(stored.data, 'base64')), decipher.final()]).toString('utf8'));
    } catch {
      throw new Error(`secret ${stored.id} does not decrypt with key '${keyId}'`);
    }
  }

  /** `replace`: only over the file that is there, so a rewrite does not bring back a secret another process just deleted. */
  private async write(org: string, stored: StoredSecret, replace = false): Promise<void> {
    const file = this.file(org, stored.id);
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(stored), { mode: 0o600 });
    if (replace && !existsSync(file)) return rm(tmp);
    await rename(tmp, file);
  }

  private async stored(org: string): Promise<StoredSecret[]> {
    const names = await readdir(join(this.dir, org)).catch(() => [] as string[]);
    const stored = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.read(org, n.slice(0, -5))));
    return stored.filter((s): s is StoredSecret => s !== undefined);
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

  /** Hashed, so any name is a safe file name, and names differing in case differ on case-insensitive disks too. */
  private claimPath(org: string, name: string): string {
    return join(this.dir, org, 'names', createHash('sha256').update(name).digest('hex'));
  }
}

function toInfo({ id, name, type, createdAt }: StoredSecret): SecretInfo {
  return { id, name, type, createdAt };
}

/**
 * The store's keys: FLOTILLA_SECRET_KEY when set, else the file `secret-key`
 * in the data directory, made with one key `k1` on first use. Both are key
 * rings like FLOTILLA_CODEC_KEYS (`id:base64key`, newest last); a bare base64
 * key there, as before key rings, is the key LEGACY_KEY_ID.
 */
export function secretKeys(dataDir: string, configured?: string): RingKey[] {
  return configured ? parseKeyRing(configured, 'FLOTILLA_SECRET_KEY', LEGACY_KEY_ID) : keyRingFile(join(dataDir, 'secret-key'), LEGACY_KEY_ID);
}

export function openSecretStore(dataDir: string, configured = process.env.FLOTILLA_SECRET_KEY): SecretStore {
  return new SecretStore(join(dataDir, 'secrets'), secretKeys(dataDir, configured));
}
