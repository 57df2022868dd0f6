import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CodecKeys } from './codec-keys.ts';

const { temporal } = proto;

/** Metadata of an encrypted payload; the names follow Temporal's encryption samples, so
 * other codecs and tools recognise them. */
export const encryptedEncoding = 'binary/encrypted';
export const keyIdMetadataKey = 'encryption-key-id';
export const cipherMetadataKey = 'encryption-cipher';
export const cipherName = 'AES-256-GCM';

const ivBytes = 12;
const tagBytes = 16;

/** Why a payload could not be decrypted. */
export type PayloadDecryptionReason = 'unknown_key' | 'tampered' | 'malformed';

/**
 * An encrypted payload that cannot be read: its key is not in the key set, its
 * authentication tag does not match (the bytes were changed, or a different key carries the
 * same id), or it is not shaped like one of ours. Never a best-effort result: a payload
 * either decrypts exactly or this is thrown. The message names the key id, never content.
 */
export class PayloadDecryptionError extends Error {
  readonly reason: PayloadDecryptionReason;
  readonly keyId: string | undefined;
  constructor(reason: PayloadDecryptionReason, keyId: string | undefined, message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
    this.reason = reason;
    this.keyId = keyId;
  }
}

export interface AesGcmCodecOptions {
  /** Every key that may have encrypted a stored payload, by id. Keep retired keys here
   * after a rotation: histories written with them stay readable. */
  keys: Readonly<Record<string, Uint8Array>> | CodecKeys;
  /** The key new payloads are encrypted with. */
  activeKeyId: string;
}

export interface AesGcmCodec extends PayloadCodec {
  readonly activeKeyId: string;
  readonly keyIds: string[];
}

/**
 * A Temporal `PayloadCodec` that encrypts every payload with AES-256-GCM, so the Temporal
 * server (its database, backups, anyone reading history) holds ciphertext only.
 *
 * Each payload becomes `{ encoding: binary/encrypted, encryption-key-id, encryption-cipher }`
 * with data `iv(12) ‖ ciphertext ‖ tag(16)`; the plaintext is the whole original Payload
 * (metadata included) in protobuf, and the key id is GCM's additional authenticated data, so
 * relabelling a payload with another key id fails authentication. IVs are random: rotate the
 * active key well before 2^32 payloads per key.
 *
 * Decoding passes payloads that are not `binary/encrypted` through unchanged (runs started
 * before encryption was switched on stay readable) and throws `PayloadDecryptionError` for
 * anything encrypted that it cannot authenticate.
 *
 * @example
 * const codec = createAesGcmCodec({ keys: { k1: oldKey, k2: newKey }, activeKeyId: 'k2' });
 * const worker = await Worker.create({ ..., dataConverter: { payloadCodecs: [codec] } });
 */
export function createAesGcmCodec(opts: AesGcmCodecOptions): AesGcmCodec {
  const keys = opts.keys instanceof CodecKeys ? opts.keys : new CodecKeys(opts.keys);
  const activeKey = keys.get(opts.activeKeyId);
  if (!activeKey)
    throw new RangeError(
      `active codec key "${opts.activeKeyId}" is not in the key set (${keys.ids.join(', ') || 'empty'})`,
    );
  const activeKeyId = opts.activeKeyId;
  const metadata = {
    encoding: utf8(encryptedEncoding),
    [keyIdMetadataKey]: utf8(activeKeyId),
    [cipherMetadataKey]: utf8(cipherName),
  };
  const aad = utf8(activeKeyId);

  const encryptOne = (payload: Payload): Payload => {
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', activeKey, iv, { authTagLength: tagBytes });
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { metadata: { ...metadata }, data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]) };
  };

  const decryptOne = (payload: Payload): Payload => {
    const meta = payload.metadata ?? {};
    if (!meta.encoding || text(meta.encoding) !== encryptedEncoding) return payload;
    const keyId = meta[keyIdMetadataKey] ? text(meta[keyIdMetadataKey]) : undefined;
    if (keyId === undefined)
      throw new PayloadDecryptionError(
        'malformed',
        undefined,
        'encrypted payload has no encryption-key-id; cannot decrypt it',
      );
    const cipher = meta[cipherMetadataKey] ? text(meta[cipherMetadataKey]) : cipherName;
    if (cipher !== cipherName) {
      throw new PayloadDecryptionError(
        'malformed',
        keyId,
        `encrypted payload (key "${keyId}") uses cipher ${JSON.stringify(cipher)}; this codec reads ${cipherName} only`,
      );
    }
    const key = keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        'unknown_key',
        keyId,
        `payload is encrypted with key "${keyId}", which is not in the codec's key set (${keys.ids.join(', ')}); ` +
          'keep retired keys in BOSUN_CODEC_KEYS after a rotation',
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < ivBytes + tagBytes) {
      throw new PayloadDecryptionError(
        'malformed',
        keyId,
        `encrypted payload (key "${keyId}") is ${data.length} bytes, too short to hold an IV and a tag`,
      );
    }
    const iv = data.subarray(0, ivBytes);
    const tag = data.subarray(data.length - tagBytes);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
    decipher.setAAD(utf8(keyId));
    decipher.setAuthTag(tag);
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(ivBytes, data.length - tagBytes)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        'tampered',
        keyId,
        `encrypted payload (key "${keyId}") failed authentication: it was altered, truncated, or encrypted with a different key under the same id`,
      );
    }
    try {
      const decoded = temporal.api.common.v1.Payload.decode(plaintext);
      return { metadata: { ...decoded.metadata }, data: decoded.data };
    } catch {
      throw new PayloadDecryptionError(
        'malformed',
        keyId,
        `encrypted payload (key "${keyId}") decrypted to something that is not a Payload`,
      );
    }
  };

  return {
    activeKeyId,
    keyIds: keys.ids,
    encode: async (payloads) => payloads.map(encryptOne),
    decode: async (payloads) => payloads.map(decryptOne),
  };
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
