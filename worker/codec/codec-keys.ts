import { inspect } from 'node:util';

/** Key ids travel in every encrypted payload's metadata: short, printable, not secret. */
export const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
/** AES-256 keys are 32 bytes. */
export const keyBytes = 32;

/**
 * The payload encryption keys by id. The key bytes are held privately: printing, logging or
 * serialising a `CodecKeys` shows its key ids, never its keys, so a config object that holds
 * one may be dumped while debugging without giving the keys away.
 *
 * @example
 * const keys = new CodecKeys({ k1: randomBytes(32) });
 * JSON.stringify(keys); // '{"keyIds":["k1"]}'
 */
export class CodecKeys {
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(keys: Readonly<Record<string, Uint8Array>>) {
    const entries = Object.entries(keys);
    for (const [id, key] of entries) {
      if (!keyIdPattern.test(id))
        throw new RangeError(`codec key id ${JSON.stringify(id)} must be 1-64 letters, digits, ".", "_" or "-"`);
      if (key.length !== keyBytes)
        throw new RangeError(`codec key "${id}" must be ${keyBytes} bytes (got ${key.length})`);
    }
    this.#keys = new Map(entries.map(([id, key]) => [id, Buffer.from(key)]));
  }

  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** The key bytes of `id`, for the codec only. */
  get(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  /** Every key, for `createAesGcmCodec`. */
  toRecord(): Record<string, Buffer> {
    return Object.fromEntries(this.#keys);
  }

  toJSON(): { keyIds: string[] } {
    return { keyIds: this.ids };
  }

  toString(): string {
    return `CodecKeys(${this.ids.join(', ')})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads a key from standard base64 (what `openssl rand -base64 32` prints). Lenient decoders
 * skip characters they do not know, which would turn a mangled key into a different valid
 * one; this refuses it instead. Returns a reason on failure, never echoing the input.
 */
export function decodeKey(text: string): { ok: true; key: Buffer } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (!strictBase64.test(trimmed))
    return {
      ok: false,
      reason: `must be ${keyBytes} bytes in standard base64 (e.g. from \`openssl rand -base64 32\`)`,
    };
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== keyBytes)
    return { ok: false, reason: `must be ${keyBytes} bytes in base64, got ${key.length} bytes` };
  return { ok: true, key };
}
