import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { keyRingFile, parseKeyRing, type RingKey } from '../key-ring.js';

// Every payload Flotilla hands to Temporal (workflow and activity inputs and
// results, memos, update and query arguments, heartbeat details) is encrypted
// with AES-256-GCM before it leaves the process, so Temporal's database holds
// no cluster spec or error detail in clear. Search attributes stay clear: the
// server indexes them.

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type CodecKey = RingKey;

/**
 * Encrypts with the newest key (the last one), decrypts with any key by the
 * ID in the payload's metadata, and lets payloads that were never encrypted
 * (histories from before the codec) through as they are.
 * Ciphertext layout: nonce (12 bytes) ‖ ciphertext ‖ GCM tag (16 bytes), of
 * the whole serialized payload, metadata included.
 */
export class AesGcmCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly newest: CodecKey;

  constructor(keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new Error('the payload codec needs at least one key');
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.newest = keys[keys.length - 1]!;
  }

  /** The ID of the key new payloads are encrypted with. */
  get keyId(): string {
    return this.newest.id;
  }

  /**
   * A token for the codec endpoint alone (the Web UI's, see src/api/routes/codec.ts):
   * HMAC-SHA256 of `flotilla-codec-ui` with the newest key, in hex. Rotating the key changes it.
   */
  uiToken(): string {
    return createHmac('sha256', this.newest.key).update('flotilla-codec-ui').digest('hex');
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.newest.key, iv);
    const plain = PayloadMessage.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(this.newest.id) },
      data,
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!idBytes) throw new ValueError(`an encrypted payload has no ${KEY_ID_METADATA}`);
    const id = Buffer.from(idBytes).toString();
    const key = this.keys.get(id);
    if (!key) throw new ValueError(`no codec key '${id}' is configured (FLOTILLA_CODEC_KEYS)`);
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('an encrypted payload is too short');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new ValueError(`an encrypted payload does not decrypt with key '${id}'`);
    }
    return PayloadMessage.decode(plain) as Payload;
  }
}

/** What every Flotilla Temporal client and worker is given. */
export function flotillaDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec] };
}

/** `id:base64key` entries separated by commas or newlines, oldest first (the last one encrypts). */
export function parseCodecKeys(spec: string, source = 'FLOTILLA_CODEC_KEYS'): CodecKey[] {
  return parseKeyRing(spec, source);
}

export { newKeyEntry as newCodecKeyEntry } from '../key-ring.js';

/**
 * The codec keys: FLOTILLA_CODEC_KEYS when set, else the file `codec-keys` in
 * the data directory, made with one key on first use. Processes sharing a data
 * directory (npm start; the compose services' volume) so agree on the keys;
 * rotating is appending an entry to that file and restarting.
 */
export function codecKeys(dataDir: string, configured?: string): CodecKey[] {
  return configured ? parseCodecKeys(configured) : keyRingFile(join(dataDir, 'codec-keys'));
}

export function openCodec(dataDir: string, configured?: string): AesGcmCodec {
  return new AesGcmCodec(codecKeys(dataDir, configured));
}
