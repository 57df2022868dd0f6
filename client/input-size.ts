/**
 * Size checks on what a client sends to start a run, made before anything reaches Temporal.
 * Temporal refuses a payload over 2 MiB, but only after the client's own retries: a 5 MB
 * task gave a generic `ServiceError` (gRPC RESOURCE_EXHAUSTED) after ~40 s, a 2.5 MB one
 * "Blob data size exceeds limit". Here the same input is a `RunInputError` naming the field
 * and the limit, at once. The limits (`core/payload-limits.ts`) sit below Temporal's, with
 * room for the rest of the input and for the first model call, which carries the task again.
 */
import { describeBytes, jsonBytes, MAX_RUN_INPUT_BYTES, MAX_TASK_BYTES, utf8Length } from '../core/payload-limits.ts';

type Issue = { path: string; message: string };

const byReference = 'send large documents by reference instead (a tool, the knowledge base)';

/**
 * The size issues of a run or task input: its text field (`task`, or a single task's
 * `input`) over `MAX_TASK_BYTES`, or — when that field is within it — the whole input, as
 * JSON, over `MAX_RUN_INPUT_BYTES`. Empty when it fits (or is not an object: the schema
 * says what is wrong then).
 *
 * @example
 * inputSizeIssues({ agent, task: 'x'.repeat(3_000_000) }, 'task');
 * // [{ path: 'task', message: 'is 3,000,000 bytes (2.9 MiB); at most 1,048,576 bytes (1.0 MiB) ...' }]
 */
export function inputSizeIssues(init: unknown, field: 'task' | 'input'): Issue[] {
  if (typeof init !== 'object' || init === null) return [];
  const text = (init as Record<string, unknown>)[field];
  if (typeof text === 'string') {
    const bytes = utf8Length(text);
    if (bytes > MAX_TASK_BYTES) {
      return [
        {
          path: field,
          message: `is ${describeBytes(bytes)}; at most ${describeBytes(MAX_TASK_BYTES)} (Temporal refuses payloads over 2 MiB, and the ${field} travels in the run's input and again in its first model call): ${byReference}`,
        },
      ];
    }
  }
  let bytes: number;
  try {
    bytes = jsonBytes(init);
  } catch {
    return []; // not serializable (a cycle, a BigInt): the schema reports what is wrong
  }
  if (bytes <= MAX_RUN_INPUT_BYTES) return [];
  return [
    {
      path: '(input)',
      message: `is ${describeBytes(bytes)} as JSON; at most ${describeBytes(MAX_RUN_INPUT_BYTES)} (Temporal refuses payloads over 2 MiB): ${byReference}`,
    },
  ];
}
