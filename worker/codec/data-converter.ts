import type { DataConverter } from '@temporalio/common';
import { createHash } from 'node:crypto';
import type { CodecKeys } from './codec-keys.ts';
import { createAesGcmCodec } from './aes-gcm-codec.ts';
import { createContentCipher, plaintextCipher, type ContentCipher } from '../../activities/store/content-cipher.ts';
import { siblingModule } from '../sibling-module.ts';

/** The module Temporal loads the encrypting failure converter from (`failureConverterPath`). */
export const failureConverterPath = siblingModule('./failure-converter', import.meta.url);

/** The part of the worker config that says how payloads are encrypted. */
export interface CodecConfig {
  BOSUN_CODEC_KEYS?: CodecKeys | undefined;
  BOSUN_CODEC_ACTIVE_KEY?: string | undefined;
}

/**
 * The data converter for an encrypted deployment, or `undefined` when no keys are
 * configured (payloads stay plain JSON, as before). Workers and every client that reads or
 * starts runs need the same one: a client without it cannot read an encrypted result, and
 * its inputs go to history in plain text.
 *
 * Besides the AES-GCM payload codec it sets a failure converter that moves failure messages
 * and stack traces into an (encrypted) payload, so a failure quoting a tool's input is not
 * plain text in history either.
 *
 * @example
 * const dataConverter = dataConverterFromConfig(loadWorkerConfig());
 * const worker = await createBosunWorker({ connection, config, dataConverter });
 * const bosun = await connectBosunClient({ address, taskQueue: 'bosun', dataConverter });
 */
export function dataConverterFromConfig(config: CodecConfig): DataConverter | undefined {
  if (!config.BOSUN_CODEC_KEYS || !config.BOSUN_CODEC_ACTIVE_KEY) return undefined;
  const codec = createAesGcmCodec({ keys: config.BOSUN_CODEC_KEYS, activeKeyId: config.BOSUN_CODEC_ACTIVE_KEY });
  return { payloadCodecs: [codec], failureConverterPath };
}

/** Names a config's key set and active key without giving them away (a hash of both): two
 * workers in one process share a store connection only when their keys are the same. */
export function cipherFingerprint(config: CodecConfig): string {
  if (!config.BOSUN_CODEC_KEYS || !config.BOSUN_CODEC_ACTIVE_KEY) return 'plain';
  const hash = createHash('sha256').update(config.BOSUN_CODEC_ACTIVE_KEY);
  for (const [id, key] of Object.entries(config.BOSUN_CODEC_KEYS.toRecord()).sort(([a], [b]) => a.localeCompare(b)))
    hash.update(`\0${id}\0`).update(key);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The run store's and blob store's encryption at rest (`activities/store/content-cipher.ts`):
 * the payload codec's keys and active key when configured, so one key set and one rotation
 * cover history and the stores; no encryption otherwise.
 */
export function contentCipherFromConfig(config: CodecConfig): ContentCipher {
  return config.BOSUN_CODEC_KEYS && config.BOSUN_CODEC_ACTIVE_KEY
    ? createContentCipher({ keys: config.BOSUN_CODEC_KEYS, activeKeyId: config.BOSUN_CODEC_ACTIVE_KEY })
    : plaintextCipher;
}
