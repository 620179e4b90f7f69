import { spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LEGACY_KEY_ID, SecretNameTaken, SecretStore, secretKeys } from '../../src/adapters/secrets/store.js';
import { newKeyEntry, parseKeyRing, type RingKey } from '../../src/key-ring.js';

const aws = (n: number) => ({ accessKeyId: `AKIA${n}`, secretAccessKey: `secret-${n}` });
const key = (id: string): RingKey => parseKeyRing(newKeyEntry(id), 'test')[0]!;
const tempDir = () => mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'secret-store-'));
const fileOf = (dir: string, org: string, id: string) => join(dir, org, `${id}.json`);
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** A secret as the store wrote it before key rings: no key ID, one key. */
function writeOldFormat(dir: string, org: string, oldKey: Buffer, name: string, values: unknown): string {
  const id = `sec-${randomBytes(8).toString('hex')}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', oldKey, iv);
  cipher.setAAD(Buffer.from(`${org}/${id}`));
  const data = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
  mkdirSync(join(dir, org), { recursive: true });
  const stored = { id, name, type: 'aws', createdAt: new Date().toISOString(), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  writeFileSync(fileOf(dir, org, id), JSON.stringify(stored));
  return id;
}

describe('secret store key ring', () => {
  const a = key('a');
  const b = key('b');

  it('reads secrets of key a with the ring [a, b], rewrites them under b, and then b alone reads them all', async () => {
    const dir = tempDir();
    const ids: [string, string][] = [];
    for (const [org, n] of [['acme', 1], ['acme', 2], ['globex', 3]] as const) ids.push([org, (await new SecretStore(dir, [a]).create(org, `s${n}`, 'aws', aws(n))).id]);
    for (const [org, id] of ids) expect(readJson(fileOf(dir, org, id)).keyId).toBe('a');

    const ring = new SecretStore(dir, [a, b]);
    for (const [org, id] of ids) await expect(ring.values(org, id, 'aws')).resolves.toHaveProperty('accessKeyId');
    const newer = await ring.create('acme', 'under-b', 'aws', aws(4));
    expect(readJson(fileOf(dir, 'acme', newer.id)).keyId).toBe('b');

    expect(await ring.rotate()).toEqual({ keyId: 'b', rewritten: 3, unchanged: 1, failed: [] });
    ids.push(['acme', newer.id]);
    const onlyB = new SecretStore(dir, [b]);
    for (const [i, [org, id]] of ids.entries()) await expect(onlyB.values(org, id, 'aws')).resolves.toEqual(aws(i + 1));
    for (const [org, id] of ids) expect(readJson(fileOf(dir, org, id)).keyId).toBe('b');
    await expect(new SecretStore(dir, [a]).values('acme', ids[0]![1], 'aws')).rejects.toThrow("is encrypted with key 'b', which is not configured");
    // Files are replaced whole: no temporary file is left beside them.
    expect(readdirSync(join(dir, 'acme')).filter((f) => f !== 'names' && !f.endsWith('.json'))).toEqual([]);
    expect(await onlyB.rotate()).toEqual({ keyId: 'b', rewritten: 0, unchanged: 4, failed: [] });
  });

  it('reports a secret it cannot decrypt and rewrites the others', async () => {
    const dir = tempDir();
    const lost = await new SecretStore(dir, [key('lost')]).create('acme', 'lost', 'aws', aws(1));
    const kept = await new SecretStore(dir, [a]).create('acme', 'kept', 'aws', aws(2));
    const result = await new SecretStore(dir, [a, b]).rotate();
    expect(result).toMatchObject({ keyId: 'b', rewritten: 1, unchanged: 0, failed: [{ org: 'acme', id: lost.id }] });
    expect(result.failed[0]!.error).toContain("key 'lost', which is not configured");
    await expect(new SecretStore(dir, [b]).values('acme', kept.id, 'aws')).resolves.toEqual(aws(2));
  });

  it.each([
    ['another configured key', 'a', "does not decrypt with key 'a'"],
    ['a key not configured', 'nope', "key 'nope', which is not configured"],
    ['no key ID (as before key rings)', undefined, `key '${LEGACY_KEY_ID}', which is not configured`],
  ])('refuses a secret whose key ID was changed to %s', async (_what, keyId, message) => {
    const dir = tempDir();
    const store = new SecretStore(dir, [a, b]);
    const { id } = await store.create('acme', 'tampered', 'aws', aws(1));
    const stored = readJson(fileOf(dir, 'acme', id));
    writeFileSync(fileOf(dir, 'acme', id), JSON.stringify({ ...stored, keyId }));
    await expect(store.values('acme', id, 'aws')).rejects.toThrow(message);
  });

  it('reads files from before key rings with the old key, given as it was (a bare base64 key)', async () => {
    const dataDir = tempDir();
    const oldKey = randomBytes(32);
    const id = writeOldFormat(join(dataDir, 'secrets'), 'acme', oldKey, 'old', aws(1));

    // FLOTILLA_SECRET_KEY as it was set, alone and in a ring with a newer key.
    const configured = secretKeys(dataDir, oldKey.toString('base64'));
    expect(configured.map((k) => k.id)).toEqual([LEGACY_KEY_ID]);
    await expect(new SecretStore(join(dataDir, 'secrets'), configured).values('acme', id, 'aws')).resolves.toEqual(aws(1));
    expect(secretKeys(dataDir, `${oldKey.toString('base64')},${newKeyEntry('k2')}`).map((k) => k.id)).toEqual([LEGACY_KEY_ID, 'k2']);
    expect(secretKeys(dataDir, `${LEGACY_KEY_ID}:${oldKey.toString('base64')}`)[0]!.key.equals(oldKey)).toBe(true);
    // The constructor's single key, as callers gave it before.
    await expect(new SecretStore(join(dataDir, 'secrets'), oldKey).values('acme', id, 'aws')).resolves.toEqual(aws(1));

    // The key file a data directory was given then, with a key appended to rotate.
    writeFileSync(join(dataDir, 'secret-key'), oldKey.toString('base64'));
    expect(secretKeys(dataDir).map((k) => k.id)).toEqual([LEGACY_KEY_ID]);
    writeFileSync(join(dataDir, 'secret-key'), `${oldKey.toString('base64')}\n${newKeyEntry('k2')}\n`);
    const rotated = new SecretStore(join(dataDir, 'secrets'), secretKeys(dataDir));
    await expect(rotated.values('acme', id, 'aws')).resolves.toEqual(aws(1));
    expect(await rotated.rotate()).toMatchObject({ keyId: 'k2', rewritten: 1, failed: [] });
    await expect(new SecretStore(join(dataDir, 'secrets'), [secretKeys(dataDir)[1]!]).values('acme', id, 'aws')).resolves.toEqual(aws(1));
  });

  it('makes a key ring file k1 (0600) in a new data directory and keeps it', () => {
    const dataDir = tempDir();
    const first = secretKeys(dataDir);
    expect(first.map((k) => k.id)).toEqual(['k1']);
    expect(statSync(join(dataDir, 'secret-key')).mode & 0o777).toBe(0o600);
    expect(secretKeys(dataDir)).toEqual(first);
    expect(secretKeys(dataDir, newKeyEntry('configured')).map((k) => k.id)).toEqual(['configured']);
  });

  it('rewrites a data directory through `npm run secrets:rotate`, and exits 1 naming a secret it could not', async () => {
    const dataDir = tempDir();
    const [k1] = secretKeys(dataDir);
    const secrets = join(dataDir, 'secrets');
    const { id } = await new SecretStore(secrets, [k1!]).create('acme', 'prod', 'aws', aws(1));
    writeFileSync(join(dataDir, 'secret-key'), `${readFileSync(join(dataDir, 'secret-key'), 'utf8')}${newKeyEntry('k2')}\n`);
    const rotate = () => {
      const env: NodeJS.ProcessEnv = { ...process.env, FLOTILLA_DATA_DIR: dataDir };
      delete env.FLOTILLA_SECRET_KEY;
      return spawnSync('npm', ['run', '-s', 'secrets:rotate'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), env, encoding: 'utf8' });
    };
    const done = rotate();
    expect([done.status, done.stdout.trim()]).toEqual([0, "secrets: 1 rewritten under key 'k2', 0 already under it, 0 failed"]);
    expect(readJson(fileOf(secrets, 'acme', id)).keyId).toBe('k2');

    const lost = await new SecretStore(secrets, [key('lost')]).create('acme', 'lost', 'aws', aws(2));
    const failed = rotate();
    expect([failed.status, failed.stdout.trim()]).toEqual([1, "secrets: 0 rewritten under key 'k2', 1 already under it, 1 failed"]);
    expect(failed.stderr).toContain(`acme/${lost.id}: secret ${lost.id} is encrypted with key 'lost', which is not configured`);
  });

  it.each([
    ['a short key', 'short:AAAA', "key 'short' is not 32 bytes"],
    ['two bare keys', `${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')}`, `key id '${LEGACY_KEY_ID}' appears twice`],
  ])('refuses FLOTILLA_SECRET_KEY with %s', (_what, spec, message) => {
    expect(() => secretKeys(tempDir(), spec)).toThrow(`FLOTILLA_SECRET_KEY: ${message}`);
  });
});

describe('secret store names', () => {
  const ring = [key('k1')];

  async function outcomes(creates: Promise<unknown>[]) {
    const settled = await Promise.allSettled(creates);
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as Error);
    return { created: settled.length - failures.length, failures };
  }

  it.each([
    ['one store', (dir: string) => Array<SecretStore>(20).fill(new SecretStore(dir, ring))],
    // Stores of their own share nothing but the directory, as processes would.
    ['20 stores on one directory', (dir: string) => Array.from({ length: 20 }, () => new SecretStore(dir, ring))],
  ])('of 20 concurrent creates of one name through %s, exactly one succeeds', async (_what, stores) => {
    const dir = tempDir();
    const { created, failures } = await outcomes(stores(dir).map((store, i) => store.create('acme', 'prod', 'aws', aws(i))));
    expect(created).toBe(1);
    expect(failures).toHaveLength(19);
    for (const err of failures) {
      expect(err).toBeInstanceOf(SecretNameTaken);
      expect(err.message).toBe("a secret named 'prod' already exists");
    }
    const store = new SecretStore(dir, ring);
    expect((await store.list('acme')).map((s) => s.name)).toEqual(['prod']);
    // Losers leave no file behind.
    expect(readdirSync(join(dir, 'acme')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  });

  it('keeps names per org', async () => {
    const store = new SecretStore(tempDir(), ring);
    await store.create('acme', 'prod', 'aws', aws(1));
    await expect(store.create('globex', 'prod', 'aws', aws(2))).resolves.toHaveProperty('name', 'prod');
    await expect(store.create('acme', 'Prod', 'aws', aws(3))).resolves.toHaveProperty('name', 'Prod');
  });

  it('frees the name on delete, once', async () => {
    const store = new SecretStore(tempDir(), ring);
    const first = await store.create('acme', 'prod', 'aws', aws(1));
    const [deleted, again] = await Promise.all([store.delete('acme', first.id), store.delete('acme', first.id)]);
    expect([deleted, again]).toEqual([true, false]);
    const second = await store.create('acme', 'prod', 'aws', aws(2));
    expect((await store.list('acme')).map((s) => s.id)).toEqual([second.id]);
    await expect(store.create('acme', 'prod', 'aws', aws(3))).rejects.toThrow(SecretNameTaken);
  });

  it('holds the name of a secret without a claim (stored before claims, or a delete cut short) until it is deleted', async () => {
    const dir = tempDir();
    const store = new SecretStore(dir, [{ id: LEGACY_KEY_ID, key: ring[0]!.key }]);
    const id = writeOldFormat(dir, 'acme', ring[0]!.key, 'old', aws(1));
    await expect(store.create('acme', 'old', 'aws', aws(2))).rejects.toThrow(SecretNameTaken);
    expect(await store.delete('acme', id)).toBe(true);
    await expect(store.create('acme', 'old', 'aws', aws(2))).resolves.toHaveProperty('name', 'old');

    // A delete cut short after dropping the claim: the file still holds the name until it is deleted.
    const kept = (await store.list('acme'))[0]!;
    rmSync(join(dir, 'acme', 'names'), { recursive: true });
    await expect(store.create('acme', 'old', 'aws', aws(3))).rejects.toThrow(SecretNameTaken);
    expect(await store.delete('acme', kept.id)).toBe(true);
    await expect(store.create('acme', 'old', 'aws', aws(3))).resolves.toHaveProperty('name', 'old');
  });
});
