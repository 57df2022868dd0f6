import { describe, expect, it } from 'vitest';
import {
  jsonBytes,
  MAX_ACTIVITY_RESULT_BYTES,
  MAX_RUN_INPUT_BYTES,
  MAX_TASK_BYTES,
  TEMPORAL_BLOB_LIMIT_BYTES,
  utf8Length,
} from '../../core/payload-limits.ts';

describe('payload limits', () => {
  it('counts UTF-8 bytes exactly as Node encodes them', () => {
    for (const text of ['', 'abc', 'héllo', '€uro', '𝄞 clef', 'emoji 👍🏽', '\ud800 lone', 'end \udc00', '\n"\\']) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
    expect(jsonBytes({ text: 'é' })).toBe(Buffer.byteLength(JSON.stringify({ text: 'é' })));
  });

  it('keeps every limit below what Temporal refuses', () => {
    expect(TEMPORAL_BLOB_LIMIT_BYTES).toBe(2 * 1024 * 1024);
    expect(MAX_ACTIVITY_RESULT_BYTES).toBeLessThan(TEMPORAL_BLOB_LIMIT_BYTES);
    expect(MAX_RUN_INPUT_BYTES).toBeLessThan(TEMPORAL_BLOB_LIMIT_BYTES);
    expect(MAX_TASK_BYTES).toBeLessThan(MAX_RUN_INPUT_BYTES);
  });
});
