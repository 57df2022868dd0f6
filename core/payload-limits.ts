/**
 * How big a payload may be: what Temporal refuses, and the limits Bosun holds itself to below
 * it so that an oversized input or answer is refused early, typed, and named — not by the
 * server after retries (`Blob data size exceeds limit`, `RESOURCE_EXHAUSTED`,
 * `PayloadsTooLarge` deep in history).
 *
 * Sizes are UTF-8 bytes of the JSON a payload carries (Temporal's default converter writes
 * JSON; the optional encryption codec adds a few dozen bytes).
 */

/** Temporal's default per-payload limit (`limit.blobSize.error`, 2 MiB): a workflow input,
 * an activity's argument or result, a run's result. Larger ones fail the call or the start. */
export const TEMPORAL_BLOB_LIMIT_BYTES = 2 * 1024 * 1024;

/** Room kept under the blob limit for the payload envelope: metadata, the encryption codec's
 * header and tag, the other fields of a result. */
export const PAYLOAD_ENVELOPE_BYTES = 64 * 1024;

/** The largest activity result Bosun hands back (a model answer with its record): larger
 * ones end `payload_too_large` at once, usage counted. */
export const MAX_ACTIVITY_RESULT_BYTES = TEMPORAL_BLOB_LIMIT_BYTES - PAYLOAD_ENVELOPE_BYTES;

/** The largest task (a run's `task`, a single task's `input`). It travels twice through
 * Temporal payloads — in the run's input and in the first model call's argument — and must
 * leave room in both for the agent definition and the call's other fields. */
export const MAX_TASK_BYTES = 1024 * 1024;

/** The largest whole run input (task, agent definition with inline instructions, output
 * contract, principal, pinned prices), serialized. */
export const MAX_RUN_INPUT_BYTES = 1536 * 1024;

/**
 * UTF-8 length of `text` without encoding it (sandbox-safe: no `Buffer`, no `TextEncoder`).
 *
 * @example
 * utf8Length('héllo'); // 6
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/** The UTF-8 size of `value` as JSON (what the default payload converter writes). */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? '');
}

/** `2,100,000 bytes (2.0 MiB)`: a size for a message. */
export function describeBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes (${(bytes / 1024 / 1024).toFixed(1)} MiB)`;
}
