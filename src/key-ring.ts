import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Key rings of 32-byte AES keys, oldest first: the newest (last) encrypts,
// every key decrypts what names its ID. The payload codec (FLOTILLA_CODEC_KEYS)
// and the secret store (FLOTILLA_SECRET_KEY) both keep their keys this way.

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface RingKey {
  id: string;
  key: Buffer;
}

/**
 * `id:base64key` entries separated by commas or newlines, oldest first (the last one encrypts).
 * With `bareKeyId`, an entry that is only a base64 key (a format from before key IDs) is the key of that ID.
 */
export function parseKeyRing(spec: string, source: string, bareKeyId?: string): RingKey[] {
  const keys = spec
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      const id = at < 0 && bareKeyId ? bareKeyId : entry.slice(0, Math.max(at, 0));
      if (!KEY_ID.test(id)) throw new Error(`${source}: '${entry.slice(0, 8)}…' is not id:base64key (an id of letters, digits, '.', '_', '-')`);
      const key = Buffer.from(entry.slice(at + 1), 'base64');
      if (key.length !== 32) throw new Error(`${source}: key '${id}' is not 32 bytes of base64 (openssl rand -base64 32)`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error(`${source} holds no key`);
  const ids = keys.map((k) => k.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new Error(`${source}: key id '${repeated}' appears twice`);
  return keys;
}

/** A fresh `id:base64key` entry. */
export function newKeyEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/**
 * The ring in `file` (one entry a line), made with one key `k1` (mode 0600) on
 * first use. Processes sharing a data directory so agree on the keys;
 * rotating is appending an entry and restarting.
 */
export function keyRingFile(file: string, bareKeyId?: string): RingKey[] {
  createOnce(file, `${newKeyEntry('k1')}\n`);
  return parseKeyRing(readFileSync(file, 'utf8'), file, bareKeyId);
}

/** Writes `file` unless it exists, atomically: processes starting together all end up reading the same, whole file. */
function createOnce(file: string, content: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}
