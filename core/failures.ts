import { z } from 'zod';

/**
 * The closed vocabulary of failure types. Activities throw `ApplicationFailure` with one of
 * these as its `type`; workflows branch on the type, never on `instanceof`. Whether a type
 * is retryable is decided here, once, and the activity retry policies are derived from it.
 */
export const failureTypes = {
  /** 429 rate limit (not quota): retry after the provider's delay. */
  rate_limited: { retryable: true },
  /** 5xx, 529 overloaded, connection reset: retry with backoff. */
  provider_unavailable: { retryable: true },
  /** The call did not answer in time: retry. */
  timeout: { retryable: true },
  /** 401/403: the key is wrong or lacks access. Retrying cannot help. */
  auth: { retryable: false },
  /** 400/422: the request itself is malformed. */
  bad_request: { retryable: false },
  /** 404: the model does not exist at this provider. */
  model_not_found: { retryable: false },
  /** The request exceeds the model's context window. */
  context_too_long: { retryable: false },
  /** Spend limit or quota reached (a 429 that no wait will fix). */
  quota_exhausted: { retryable: false },
  /** The model refused or a content filter blocked the answer. */
  refused: { retryable: false },
  /** An answer, tool result or input too large for a Temporal payload (2 MiB): it cannot be
   * carried, and asking again would bring the same. Ends at once; usage is still counted. */
  payload_too_large: { retryable: false },
  /** The provider answered with something that is not a valid response. */
  invalid_response: { retryable: true },
  /** The model's output does not satisfy the declared contract. */
  invalid_output: { retryable: false },
  /** A tool was called with arguments its schema rejects. */
  tool_input_invalid: { retryable: false },
  /** The model asked for a tool the agent does not offer. */
  unknown_tool: { retryable: false },
  /** A tool ran and failed in a way retrying cannot fix. */
  tool_failed: { retryable: false },
  /** A tool failed transiently (its own dependency timed out, was unavailable). */
  tool_unavailable: { retryable: true },
  /** A shared store (the run store on PostgreSQL) could not be reached or dropped the
   * connection: retry, the database is restarting or failing over. */
  store_unavailable: { retryable: true },
  /** This worker's knowledge index is not the version the run pinned at its first
   * retrieval (workers mid-rollout): retry, on a worker serving the pinned version. */
  index_version_mismatch: { retryable: true },
  /** The principal may not do this. */
  permission_denied: { retryable: false },
  /** The run's input was rejected before it started. */
  invalid_input: { retryable: false },
  /** A bug or a state Bosun did not expect. */
  internal: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type FailureType = keyof typeof failureTypes;
export const failureTypeNames = Object.keys(failureTypes) as [FailureType, ...FailureType[]];
export const failureTypeSchema = z.enum(failureTypeNames);

export function isFailureType(value: unknown): value is FailureType {
  return typeof value === 'string' && Object.hasOwn(failureTypes, value);
}

/** Failure types whose activity retries must stop at once (fed to `nonRetryableErrorTypes`). */
export const nonRetryableFailureTypes: FailureType[] = failureTypeNames.filter((t) => !failureTypes[t].retryable);

/** A failure as data: what went wrong, safe to store in history and show to an operator.
 * `message` never contains a key or a raw provider body. */
export const failureSchema = z.object({
  type: failureTypeSchema,
  message: z.string(),
  retryable: z.boolean(),
  /** Provider details worth keeping for support: status, provider error code, request id. */
  details: z
    .object({
      provider: z.string().optional(),
      status: z.number().int().optional(),
      code: z.string().optional(),
      requestId: z.string().optional(),
    })
    .optional(),
});
export type Failure = z.infer<typeof failureSchema>;
