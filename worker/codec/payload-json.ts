import type { Payload } from '@temporalio/common';
import { z } from 'zod';

/**
 * One payload in proto3 JSON, as the Temporal UI and CLI send it to a codec server: every
 * bytes field — `data` and each `metadata` value — is base64 (standard or URL-safe).
 */
export const jsonPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string().nullish()).nullish(),
  data: z.string().nullish(),
});
export type JsonPayload = z.infer<typeof jsonPayloadSchema>;

/** The body of `POST /encode` and `POST /decode`, and of their answers: a `Payloads` message. */
export const jsonPayloadsSchema = z.object({ payloads: z.array(jsonPayloadSchema) });

const base64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** proto3 JSON → Payload. Throws `RangeError` on a field that is not base64. */
export function payloadFromJson(json: JsonPayload): Payload {
  const bytes = (field: string, value: string): Buffer => {
    if (!base64.test(value)) throw new RangeError(`${field} is not base64`);
    return Buffer.from(value, 'base64');
  };
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(json.metadata ?? {})) if (v != null) metadata[k] = bytes(`metadata.${k}`, v);
  return { metadata, data: bytes('data', json.data ?? '') };
}

/** Payload → proto3 JSON (standard base64, as protobuf's JSON printers write it). */
export function payloadToJson(payload: Payload): JsonPayload {
  const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(payload.data ?? new Uint8Array()),
  };
}
