import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { TokenTable } from '../../src/api/auth.js';
import { AesGcmCodec, codecKeys, ENCRYPTED_ENCODING, KEY_ID_METADATA, newCodecKeyEntry, parseCodecKeys } from '../../src/temporal/codec.js';
import { metadataText } from '../helpers/codec.js';

const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const value = (p: Payload) => defaultPayloadConverter.fromPayload(p);
const old = parseCodecKeys(newCodecKeyEntry('old'))[0]!;
const next = parseCodecKeys(newCodecKeyEntry('next'))[0]!;

describe('AES-GCM payload codec', () => {
  it('encrypts the whole payload, metadata included, under the newest key, and decrypts it back', async () => {
    const codec = new AesGcmCodec([old, next]);
    const [encrypted] = await codec.encode([payload({ kubeconfig: 'apiVersion: v1\nkind: Config' })]);
    expect(metadataText(encrypted!, 'encoding')).toBe(ENCRYPTED_ENCODING);
    expect(metadataText(encrypted!, KEY_ID_METADATA)).toBe('next');
    expect(Object.keys(encrypted!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    expect(Buffer.from(encrypted!.data!).toString('latin1')).not.toMatch(/kubeconfig|json\/plain/);
    const [decrypted] = await codec.decode([encrypted!]);
    expect(value(decrypted!)).toEqual({ kubeconfig: 'apiVersion: v1\nkind: Config' });
    expect(metadataText(decrypted!, 'encoding')).toBe('json/plain');
  });

  it('uses a fresh nonce for every payload', async () => {
    const codec = new AesGcmCodec([old]);
    const [a, b] = await codec.encode([payload('same'), payload('same')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('after a rotation, decrypts what the old key encrypted and encrypts with the new one', async () => {
    const [before] = await new AesGcmCodec([old]).encode([payload({ n: 1 })]);
    const rotated = new AesGcmCodec([old, next]);
    expect(value((await rotated.decode([before!]))[0]!)).toEqual({ n: 1 });
    const [after] = await rotated.encode([payload({ n: 2 })]);
    expect(metadataText(after!, KEY_ID_METADATA)).toBe('next');
    await expect(new AesGcmCodec([old]).decode([after!])).rejects.toThrow("no codec key 'next' is configured");
  });

  it('lets payloads that were never encrypted through (histories from before the codec)', async () => {
    const plain = payload({ recorded: true });
    expect(await new AesGcmCodec([old]).decode([plain])).toEqual([plain]);
  });

  it('refuses a payload that was tampered with or encrypted under another key of the same ID', async () => {
    const codec = new AesGcmCodec([old]);
    const [encrypted] = await codec.encode([payload('x')]);
    const data = Buffer.from(encrypted!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow("does not decrypt with key 'old'");
    const impostor = new AesGcmCodec(parseCodecKeys(newCodecKeyEntry('old')));
    await expect(impostor.decode([encrypted!])).rejects.toThrow("does not decrypt with key 'old'");
  });

  it('gives a codec-only UI token that changes with the newest key', () => {
    expect(new AesGcmCodec([old]).uiToken()).toMatch(/^[0-9a-f]{64}$/);
    expect(new AesGcmCodec([old]).uiToken()).toBe(new AesGcmCodec([next, old]).uiToken());
    expect(new AesGcmCodec([old, next]).uiToken()).not.toBe(new AesGcmCodec([old]).uiToken());
  });
});

describe('codec keys', () => {
  it('parses id:base64 entries separated by commas or newlines, oldest first', () => {
    const keys = parseCodecKeys(`${newCodecKeyEntry('a')},${newCodecKeyEntry('b')}\n${newCodecKeyEntry('c')}\n`);
    expect(keys.map((k) => [k.id, k.key.length])).toEqual([['a', 32], ['b', 32], ['c', 32]]);
  });

  it.each([
    ['nothing', '', 'holds no key'],
    ['an entry without an id', 'nokey', 'is not id:base64key'],
    ['an empty id', ':AAAA', 'is not id:base64key'],
    ['a short key', 'short:AAAA', "key 'short' is not 32 bytes"],
    ['an id twice', `${newCodecKeyEntry('dup')},${newCodecKeyEntry('dup')}`, "key id 'dup' appears twice"],
  ])('refuses %s', (_what, spec, message) => {
    expect(() => parseCodecKeys(spec)).toThrow(message);
  });

  it('without FLOTILLA_CODEC_KEYS, makes one key in the data directory (0600) and keeps it', () => {
    const dir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'codec-'));
    const first = codecKeys(dir);
    expect(first.map((k) => k.id)).toEqual(['k1']);
    expect(statSync(join(dir, 'codec-keys')).mode & 0o777).toBe(0o600);
    expect(codecKeys(dir)).toEqual(first);
    // Rotation for the embedded default: append a key, restart.
    writeFileSync(join(dir, 'codec-keys'), `${readFileSync(join(dir, 'codec-keys'), 'utf8')}${newCodecKeyEntry('k2')}\n`);
    expect(codecKeys(dir).map((k) => k.id)).toEqual(['k1', 'k2']);
  });

  it('prefers the configured keys over the file', () => {
    const dir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'codec-'));
    expect(codecKeys(dir, newCodecKeyEntry('configured')).map((k) => k.id)).toEqual(['configured']);
  });
});

describe('API token table', () => {
  const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

  it('takes tokens in clear and as sha256:<hex>, in any case of hex digits', () => {
    const table = new TokenTable(`plain-token:acme,sha256:${sha256('hashed-token')}:globex,sha256:${sha256('upper').toUpperCase()}:initech`);
    expect([table.orgOf('plain-token'), table.orgOf('hashed-token'), table.orgOf('upper')]).toEqual(['acme', 'globex', 'initech']);
    // The hash itself is not a token.
    expect(table.orgOf(`sha256:${sha256('hashed-token')}`)).toBeUndefined();
    expect(table.orgOf(sha256('hashed-token'))).toBeUndefined();
  });

  it('treats a sha256: entry that is not 64 hex digits as a token in clear', () => {
    const table = new TokenTable('sha256:abc:acme');
    expect(table.orgOf('sha256:abc')).toBe('acme');
  });
});
