import type { DataConverter } from '@temporalio/common';
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
