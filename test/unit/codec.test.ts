import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CodecKeys,
  createAesGcmCodec,
  dataConverterFromConfig,
  encryptedEncoding,
  PayloadDecryptionError,
  type PayloadDecryptionReason,
} from '../../worker/codec/index.ts';
import { ConfigError, describeConfig, loadCodecServerConfig, loadWorkerConfig } from '../../worker/config.ts';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const json = (value: unknown): Payload => defaultPayloadConverter.toPayload(value)!;
const secretTask = 'Refund order ord_829 for Ada Lovelace, card ending 4242';

/** The error `fn` throws, failing the test if it resolves. */
async function rejection<T extends Error>(fn: () => Promise<unknown>): Promise<T> {
  try {
    await fn();
  } catch (err) {
    return err as T;
  }
  throw new Error('expected a rejection');
}

async function decryptionError(fn: () => Promise<unknown>, reason: PayloadDecryptionReason, keyId: string | undefined) {
  const err = await rejection<PayloadDecryptionError>(fn);
  expect(err).toBeInstanceOf(PayloadDecryptionError);
  expect(err).toMatchObject({ reason, keyId });
  if (keyId) expect(err.message).toContain(`"${keyId}"`);
  return err;
}

describe('createAesGcmCodec', () => {
  const codec = createAesGcmCodec({ keys: { k1 }, activeKeyId: 'k1' });

  it('round-trips payloads exactly, metadata included', async () => {
    const payloads = [
      json({ task: secretTask, n: 3 }),
      json(null),
      json('ünïcödé ✓'),
      { metadata: { encoding: Buffer.from('binary/plain'), extra: Buffer.from('x') }, data: randomBytes(4096) },
    ];
    const encoded = await codec.encode(payloads);
    expect(encoded).toHaveLength(payloads.length);
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => ({ metadata: mapBytes(p.metadata), data: b64(p.data!) }))).toEqual(
      payloads.map((p) => ({ metadata: mapBytes(p.metadata), data: b64(p.data!) })),
    );
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual({ task: secretTask, n: 3 });
    expect(await codec.encode([])).toEqual([]);
  });

  it('writes binary/encrypted payloads whose bytes hold no plaintext, with a fresh IV each time', async () => {
    const original = json({ task: secretTask });
    const [a, b] = await codec.encode([original, original]);
    for (const p of [a!, b!]) {
      expect(mapText(p.metadata)).toEqual({
        encoding: encryptedEncoding,
        'encryption-key-id': 'k1',
        'encryption-cipher': 'AES-256-GCM',
      });
      const bytes = Buffer.from(p.data!);
      // iv ‖ the original Payload in protobuf, encrypted (same length) ‖ tag
      expect(bytes.length).toBe(12 + proto.temporal.api.common.v1.Payload.encode(original).finish().length + 16);
      for (const needle of ['Ada Lovelace', 'ord_829', '4242', 'json/plain', 'encoding'])
        expect(bytes.includes(Buffer.from(needle))).toBe(false);
      expect(bytes.includes(k1)).toBe(false);
    }
    expect(b64(a!.data!)).not.toBe(b64(b!.data!));
    expect(b64(a!.data!.subarray(0, 12))).not.toBe(b64(b!.data!.subarray(0, 12)));
  });

  it('passes payloads that are not encrypted through unchanged, so runs from before encryption still read', async () => {
    const plain = [json({ task: 'old run' }), { metadata: {}, data: Buffer.from('raw') }, {}];
    expect(await codec.decode(plain)).toEqual(plain);
    const mixed = [json('before'), ...(await codec.encode([json('after')]))];
    expect((await codec.decode(mixed)).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['before', 'after']);
  });

  it('rotates keys: encrypts with the active key and still decrypts payloads of retired ones', async () => {
    const before = createAesGcmCodec({ keys: { k1 }, activeKeyId: 'k1' });
    const after = createAesGcmCodec({ keys: { k1, k2 }, activeKeyId: 'k2' });
    const old = await before.encode([json('written with k1')]);
    const fresh = await after.encode([json('written with k2')]);
    expect(text(fresh[0]!.metadata!['encryption-key-id'])).toBe('k2');
    expect((await after.decode([...old, ...fresh])).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      'written with k1',
      'written with k2',
    ]);
    expect(after).toMatchObject({ activeKeyId: 'k2', keyIds: ['k1', 'k2'] });
    // A worker that never got k2 refuses k2's payloads, naming the key it lacks.
    const err = await decryptionError(() => before.decode(fresh), 'unknown_key', 'k2');
    expect(err.message).toContain('(k1)');
  });

  it('throws on a payload whose key id is unknown, naming the key id', async () => {
    const other = createAesGcmCodec({ keys: { 'prod-2024': k2 }, activeKeyId: 'prod-2024' });
    await decryptionError(async () => codec.decode(await other.encode([json(secretTask)])), 'unknown_key', 'prod-2024');
  });

  it('throws on any flipped bit — IV, ciphertext or tag — and never returns garbage', async () => {
    const [p] = await codec.encode([json({ task: secretTask })]);
    const length = p!.data!.length;
    for (const at of [0, 11, 12, Math.floor(length / 2), length - 17, length - 1]) {
      const data = Buffer.from(p!.data!);
      data[at] = data[at]! ^ 0x01;
      const err = await decryptionError(() => codec.decode([{ ...p!, data }]), 'tampered', 'k1');
      expect(err.message).not.toContain('Ada');
    }
    await decryptionError(() => codec.decode([{ ...p!, data: p!.data!.subarray(0, length - 1) }]), 'tampered', 'k1');
    await decryptionError(() => codec.decode([{ ...p!, data: p!.data!.subarray(0, 20) }]), 'malformed', 'k1');
  });

  it('binds the key id as authenticated data: relabelling a payload fails even under the same key bytes', async () => {
    const twins = createAesGcmCodec({ keys: { a: k1, b: k1 }, activeKeyId: 'a' });
    const [p] = await twins.encode([json('labelled a')]);
    const relabelled = { ...p!, metadata: { ...p!.metadata, 'encryption-key-id': Buffer.from('b') } };
    await decryptionError(() => twins.decode([relabelled]), 'tampered', 'b');
    // The same id with other key bytes is caught the same way.
    const impostor = createAesGcmCodec({ keys: { k1: k2 }, activeKeyId: 'k1' });
    const [q] = await codec.encode([json('labelled k1')]);
    await decryptionError(() => impostor.decode([q!]), 'tampered', 'k1');
  });

  it('refuses encrypted payloads without a key id or with another cipher', async () => {
    const [p] = await codec.encode([json('x')]);
    const { 'encryption-key-id': _kid, ...noKid } = p!.metadata!;
    await decryptionError(() => codec.decode([{ ...p!, metadata: noKid }]), 'malformed', undefined);
    await decryptionError(
      () => codec.decode([{ ...p!, metadata: { ...p!.metadata, 'encryption-cipher': Buffer.from('AES-128-CBC') } }]),
      'malformed',
      'k1',
    );
  });

  it('refuses keys that are not 32 bytes and an active key outside the set, without printing a key', () => {
    const short = randomBytes(16);
    expect(() => createAesGcmCodec({ keys: { k1: short }, activeKeyId: 'k1' })).toThrow(
      /"k1" must be 32 bytes \(got 16\)/,
    );
    expect(() => createAesGcmCodec({ keys: { k1 }, activeKeyId: 'k2' })).toThrow(
      /active codec key "k2" is not in the key set \(k1\)/,
    );
    try {
      createAesGcmCodec({ keys: { k1: short }, activeKeyId: 'k1' });
    } catch (err) {
      expect(String(err)).not.toContain(b64(short));
    }
  });
});

describe('CodecKeys', () => {
  it('shows key ids, never key bytes, when printed, logged or serialised', () => {
    const keys = new CodecKeys({ k1, k2 });
    for (const shown of [
      JSON.stringify(keys),
      JSON.stringify({ keys }),
      inspect(keys),
      inspect({ nested: { keys } }, { depth: 5 }),
      String(keys),
    ]) {
      expect(shown).toContain('k1');
      for (const key of [k1, k2]) {
        expect(shown).not.toContain(b64(key));
        expect(shown).not.toContain(key.toString('hex'));
        expect(shown).not.toMatch(new RegExp(`${key[0]}, ${key[1]}, ${key[2]}`));
      }
    }
  });
});

describe('codec configuration', () => {
  const env = { BOSUN_CODEC_KEYS: JSON.stringify({ k1: b64(k1), k2: b64(k2) }), BOSUN_CODEC_ACTIVE_KEY: 'k2' };
  const keyTexts = [b64(k1), b64(k2), k1.toString('hex'), k2.toString('hex')];

  /** The message of the `ConfigError` `load(env)` throws. */
  function configError(load: (env: Record<string, string>) => unknown, bad: Record<string, string>): string {
    try {
      load(bad);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error(`expected ${Object.keys(bad).join(', ')} to be rejected`);
  }

  it('parses keys and the active key id; describeConfig names key ids only', () => {
    const config = loadWorkerConfig(env);
    expect(config.BOSUN_CODEC_KEYS?.ids).toEqual(['k1', 'k2']);
    expect(config.BOSUN_CODEC_KEYS?.get('k2')?.equals(k2)).toBe(true);
    expect(config.BOSUN_CODEC_ACTIVE_KEY).toBe('k2');
    const described = describeConfig(config);
    expect(described).toContain('payloads: encrypted with key k2 (keys k1, k2)');
    for (const shown of [described, JSON.stringify(config), inspect(config)])
      for (const t of keyTexts) expect(shown).not.toContain(t);
  });

  it('leaves encryption off when no keys are set', () => {
    const config = loadWorkerConfig({});
    expect(config.BOSUN_CODEC_KEYS).toBeUndefined();
    expect(dataConverterFromConfig(config)).toBeUndefined();
    expect(describeConfig(config)).not.toContain('payloads');
  });

  it('names the variable in every refusal and never prints key material', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ BOSUN_CODEC_KEYS: env.BOSUN_CODEC_KEYS }, /BOSUN_CODEC_ACTIVE_KEY: required with BOSUN_CODEC_KEYS/],
      [
        { ...env, BOSUN_CODEC_ACTIVE_KEY: 'k3' },
        /BOSUN_CODEC_ACTIVE_KEY: is not one of the key ids in BOSUN_CODEC_KEYS \(k1, k2\)/,
      ],
      [{ BOSUN_CODEC_ACTIVE_KEY: 'k1' }, /BOSUN_CODEC_KEYS: required with BOSUN_CODEC_ACTIVE_KEY/],
      [
        { ...env, BOSUN_CODEC_KEYS: JSON.stringify({ k1: b64(k1).slice(0, 40), k2: b64(k2) }) },
        /BOSUN_CODEC_KEYS\.k1: must be 32 bytes/,
      ],
      [
        { ...env, BOSUN_CODEC_KEYS: JSON.stringify({ k1: b64(randomBytes(24)), k2: b64(k2) }) },
        /BOSUN_CODEC_KEYS\.k1: must be 32 bytes in base64, got 24 bytes/,
      ],
      [
        { ...env, BOSUN_CODEC_KEYS: JSON.stringify({ k1: `${b64(k1)}!!`, k2: b64(k2) }) },
        /BOSUN_CODEC_KEYS\.k1: must be 32 bytes in standard base64/,
      ],
      [
        { ...env, BOSUN_CODEC_KEYS: `{"k1":"${b64(k1)}", "k2": "${b64(k2)}"` },
        /BOSUN_CODEC_KEYS: must be a JSON object/,
      ],
      [{ ...env, BOSUN_CODEC_KEYS: JSON.stringify([b64(k1)]) }, /BOSUN_CODEC_KEYS: must be a JSON object/],
      [
        { ...env, BOSUN_CODEC_KEYS: JSON.stringify({ k1: 7, k2: b64(k2) }) },
        /BOSUN_CODEC_KEYS\.k1: must be a base64 string/,
      ],
      // Key and id swapped: the "id" is a key, so only its position is named.
      [
        { ...env, BOSUN_CODEC_KEYS: JSON.stringify({ [b64(k1)]: 'k1', k2: b64(k2) }) },
        /BOSUN_CODEC_KEYS: key id #1 is not/,
      ],
      [{ ...env, BOSUN_CODEC_ACTIVE_KEY: b64(k2) }, /BOSUN_CODEC_ACTIVE_KEY: must be a key id/],
    ];
    for (const [bad, expected] of cases) {
      const message = configError(loadWorkerConfig, bad);
      expect(message).toMatch(expected);
      for (const t of keyTexts) expect(message).not.toContain(t);
      expect(message).not.toContain(b64(k1).slice(0, 40));
    }
  });

  it('requires keys and a token for the codec server, which listens on loopback for the local UI by default', () => {
    const token = 'tok-' + randomBytes(16).toString('hex');
    const config = loadCodecServerConfig({ ...env, BOSUN_CODEC_TOKEN: token });
    expect(config).toMatchObject({
      BOSUN_CODEC_ACTIVE_KEY: 'k2',
      BOSUN_CODEC_TOKEN: token,
      BOSUN_CODEC_SERVER_ADDR: { host: '127.0.0.1', port: 8081 },
      BOSUN_CODEC_CORS_ORIGIN: ['http://127.0.0.1:8233'],
    });
    expect(
      loadCodecServerConfig({
        ...env,
        BOSUN_CODEC_TOKEN: token,
        BOSUN_CODEC_SERVER_ADDR: '[::1]:9000',
        BOSUN_CODEC_CORS_ORIGIN: 'http://localhost:8233, https://ui.example.com',
      }),
    ).toMatchObject({
      BOSUN_CODEC_SERVER_ADDR: { host: '::1', port: 9000 },
      BOSUN_CODEC_CORS_ORIGIN: ['http://localhost:8233', 'https://ui.example.com'],
    });
    expect(configError(loadCodecServerConfig, {})).toMatch(/BOSUN_CODEC_KEYS: required.*BOSUN_CODEC_TOKEN: required/);
    const short = configError(loadCodecServerConfig, { ...env, BOSUN_CODEC_TOKEN: 'hunter2-short' });
    expect(short).toMatch(/BOSUN_CODEC_TOKEN: must be at least 16 characters/);
    expect(short).not.toContain('hunter2');
    expect(
      configError(loadCodecServerConfig, { ...env, BOSUN_CODEC_TOKEN: token, BOSUN_CODEC_SERVER_ADDR: 'localhost' }),
    ).toMatch(/BOSUN_CODEC_SERVER_ADDR: must be host:port/);
    expect(
      configError(loadCodecServerConfig, {
        ...env,
        BOSUN_CODEC_TOKEN: token,
        BOSUN_CODEC_CORS_ORIGIN: 'http://ui/path',
      }),
    ).toMatch(/BOSUN_CODEC_CORS_ORIGIN/);
    const badKey = configError(loadCodecServerConfig, {
      BOSUN_CODEC_KEYS: JSON.stringify({ k1: b64(k1).slice(0, 40) }),
      BOSUN_CODEC_ACTIVE_KEY: 'k1',
      BOSUN_CODEC_TOKEN: token,
    });
    for (const secret of [...keyTexts, b64(k1).slice(0, 40), token]) expect(badKey).not.toContain(secret);
  });
});

describe('dataConverterFromConfig', () => {
  const config = loadWorkerConfig({ BOSUN_CODEC_KEYS: JSON.stringify({ k1: b64(k1) }), BOSUN_CODEC_ACTIVE_KEY: 'k1' });

  it('gives the SDK a converter that encrypts payloads and failure messages', async () => {
    const loaded = loadDataConverter(dataConverterFromConfig(config));
    expect(loaded.payloadCodecs).toHaveLength(1);
    const [codec] = loaded.payloadCodecs;
    const [encoded] = await codec!.encode([loaded.payloadConverter.toPayload({ task: secretTask })]);
    expect(text(encoded!.metadata!.encoding)).toBe(encryptedEncoding);
    const [decoded] = await codec!.decode([encoded!]);
    expect(loaded.payloadConverter.fromPayload(decoded!)).toEqual({ task: secretTask });

    // A failure's message goes into a payload (which the codec encrypts), not plain text.
    const failure = loaded.failureConverter.errorToFailure(
      ApplicationFailure.create({ type: 'tool_failed', message: `cannot evaluate "${secretTask}"` }),
      loaded.payloadConverter,
    );
    expect(failure.message).toBe('Encoded failure');
    expect(JSON.stringify(failure)).not.toContain('Ada');
    expect(failure.encodedAttributes).toBeDefined();
    const back = loaded.failureConverter.failureToError(failure, loaded.payloadConverter);
    expect(back.message).toBe(`cannot evaluate "${secretTask}"`);
  });
});

function mapBytes(m: Record<string, Uint8Array> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, b64(v)]));
}
function mapText(m: Record<string, Uint8Array> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, text(v)]));
}
