/**
 * Encryption at rest for the run store and the blob store, with the payload codec's keys
 * (`BOSUN_CODEC_KEYS`, `BOSUN_CODEC_ACTIVE_KEY`): the same key ids, the same active key, and
 * after a rotation the retired keys (kept in the key set) still decrypt what they wrote.
 *
 * A store calls the cipher on its content columns only — message and answer bodies,
 * summaries, prompt texts, content kept by reference, trace record bodies, blob bytes — and
 * never on what it looks rows up, orders or fences by (run and conversation ids, positions,
 * write sequence numbers, hashes, writers, token counts), so every store keeps its semantics
 * whether or not encryption is on. Any store implementation (SQLite here, PostgreSQL) gets
 * encryption by calling `sealText`/`openText` (or the byte forms) around those columns.
 *
 * Text format: `enc:v1:<key id>:<base64 of iv(12) ‖ ciphertext ‖ tag(16)>`, AES-256-GCM with
 * the key id as additional authenticated data (relabelling a value with another key id fails
 * authentication), random IVs as in the payload codec. Bytes: the magic `BENC1`, one byte of
 * key id length, the key id, then the same `iv ‖ ciphertext ‖ tag`.
 *
 * A value without the marker is a row written before encryption was switched on: it is read
 * as it is (the payload codec does the same with unencrypted payloads), so switching
 * encryption on needs no migration; such rows stay plaintext until retention or `forget`
 * deletes them. An encrypted value that cannot be decrypted — its key id is not in the key
 * set, no keys are configured, it was altered — throws `StoreDecryptionError`, never a
 * best-effort result.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ivBytes = 12;
const tagBytes = 16;
const textPrefix = 'enc:v1:';
const bytesMagic = Buffer.from('BENC1', 'ascii');

/** Why a stored value could not be decrypted. `no_keys`: the value is encrypted and this
 * process has no codec keys configured. */
export type StoreDecryptionReason = 'no_keys' | 'unknown_key' | 'tampered' | 'malformed';

/** A stored value that cannot be read. The message names the key id, never content. */
export class StoreDecryptionError extends Error {
  override readonly name = 'StoreDecryptionError';
  readonly reason: StoreDecryptionReason;
  readonly keyId: string | undefined;
  constructor(reason: StoreDecryptionReason, keyId: string | undefined, message: string) {
    super(message);
    this.reason = reason;
    this.keyId = keyId;
  }
}

/**
 * What a store calls on every content column it writes (`seal…`) and reads (`open…`).
 * `encrypting` says whether new values are encrypted (for reports and tests).
 */
export interface ContentCipher {
  readonly encrypting: boolean;
  sealText(plain: string): string;
  openText(stored: string): string;
  sealBytes(plain: Uint8Array): Uint8Array;
  openBytes(stored: Uint8Array): Uint8Array;
}

/** True when a stored text value is in the encrypted format (whatever its key). */
export const isSealedText = (stored: string): boolean => stored.startsWith(textPrefix);

const isSealedBytes = (stored: Uint8Array): boolean =>
  stored.length >= bytesMagic.length &&
  Buffer.from(stored.buffer, stored.byteOffset, bytesMagic.length).equals(bytesMagic);

/**
 * No encryption (no codec keys configured): values are written as they are. Reading an
 * encrypted value fails typed (`no_keys`) — a worker started without the keys must not hand
 * ciphertext to a model as if it were the conversation.
 */
export const plaintextCipher: ContentCipher = {
  encrypting: false,
  sealText: (plain) => plain,
  openText(stored) {
    if (isSealedText(stored)) throw noKeys(stored.slice(textPrefix.length, stored.indexOf(':', textPrefix.length)));
    return stored;
  },
  sealBytes: (plain) => plain,
  openBytes(stored) {
    if (isSealedBytes(stored)) throw noKeys(keyIdOfBytes(stored));
    return stored;
  },
};

const noKeys = (keyId: string | undefined) =>
  new StoreDecryptionError(
    'no_keys',
    keyId,
    `a stored value is encrypted (key "${keyId ?? '?'}") and this worker has no codec keys: set BOSUN_CODEC_KEYS and BOSUN_CODEC_ACTIVE_KEY as on the workers that wrote it`,
  );

/** A key set by id: the worker's `CodecKeys` is one (activities cannot import it). */
export interface CipherKeys {
  readonly ids: string[];
  get(id: string): Uint8Array | undefined;
}

export interface ContentCipherOptions {
  /** Every key that may have encrypted a stored value, by id (retired keys included). */
  keys: Readonly<Record<string, Uint8Array>> | CipherKeys;
  /** The key new values are encrypted with. */
  activeKeyId: string;
}

/**
 * AES-256-GCM with the codec's keys.
 *
 * @example
 * const cipher = createContentCipher({ keys: config.BOSUN_CODEC_KEYS, activeKeyId: 'k2' });
 * const store = openSqliteRunStore('runs.db', { cipher });
 */
export function createContentCipher(opts: ContentCipherOptions): ContentCipher {
  const keys = keySet(opts.keys);
  const activeKey = keys.get(opts.activeKeyId);
  if (!activeKey)
    throw new RangeError(
      `active codec key "${opts.activeKeyId}" is not in the key set (${keys.ids.join(', ') || 'empty'})`,
    );
  const activeId = Buffer.from(opts.activeKeyId, 'utf8');
  const encrypt = (plain: Buffer): Buffer => {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', activeKey, iv, { authTagLength: tagBytes });
    cipher.setAAD(activeId);
    return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  const decrypt = (keyId: string, data: Buffer): Buffer => {
    const key = keys.get(keyId);
    if (!key)
      throw new StoreDecryptionError(
        'unknown_key',
        keyId,
        `a stored value is encrypted with key "${keyId}", which is not in the codec's key set (${keys.ids.join(', ')}); keep retired keys in BOSUN_CODEC_KEYS after a rotation`,
      );
    if (data.length < ivBytes + tagBytes)
      throw new StoreDecryptionError('malformed', keyId, `a stored value (key "${keyId}") is too short to decrypt`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, ivBytes), { authTagLength: tagBytes });
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - tagBytes));
    try {
      return Buffer.concat([decipher.update(data.subarray(ivBytes, data.length - tagBytes)), decipher.final()]);
    } catch {
      throw new StoreDecryptionError(
        'tampered',
        keyId,
        `a stored value (key "${keyId}") failed authentication: it was altered, or encrypted with a different key under the same id`,
      );
    }
  };
  return {
    encrypting: true,
    sealText: (plain) => `${textPrefix}${opts.activeKeyId}:${encrypt(Buffer.from(plain, 'utf8')).toString('base64')}`,
    openText(stored) {
      if (!isSealedText(stored)) return stored;
      const sep = stored.indexOf(':', textPrefix.length);
      if (sep < 0) throw new StoreDecryptionError('malformed', undefined, 'a stored value has no key id');
      const keyId = stored.slice(textPrefix.length, sep);
      return decrypt(keyId, Buffer.from(stored.slice(sep + 1), 'base64')).toString('utf8');
    },
    sealBytes(plain) {
      return Buffer.concat([bytesMagic, Buffer.from([activeId.length]), activeId, encrypt(Buffer.from(plain))]);
    },
    openBytes(stored) {
      if (!isSealedBytes(stored)) return stored;
      const keyId = keyIdOfBytes(stored);
      if (keyId === undefined) throw new StoreDecryptionError('malformed', undefined, 'a stored blob has no key id');
      const start = bytesMagic.length + 1 + Buffer.byteLength(keyId);
      return new Uint8Array(decrypt(keyId, Buffer.from(stored).subarray(start)));
    },
  };
}

function keyIdOfBytes(stored: Uint8Array): string | undefined {
  const length = stored[bytesMagic.length];
  if (length === undefined || stored.length < bytesMagic.length + 1 + length) return undefined;
  return Buffer.from(stored)
    .subarray(bytesMagic.length + 1, bytesMagic.length + 1 + length)
    .toString('utf8');
}

function keySet(keys: ContentCipherOptions['keys']): CipherKeys {
  if (typeof (keys as CipherKeys).get === 'function' && Array.isArray((keys as CipherKeys).ids))
    return keys as CipherKeys;
  const record = keys as Readonly<Record<string, Uint8Array>>;
  for (const [id, key] of Object.entries(record))
    if (key.length !== 32) throw new RangeError(`codec key "${id}" must be 32 bytes (got ${key.length})`);
  return { ids: Object.keys(record), get: (id) => (Object.hasOwn(record, id) ? record[id] : undefined) };
}
