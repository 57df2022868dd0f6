import { ApplicationFailure } from '@temporalio/common';
import { retrieveInputSchema, type RetrievalResult, type RetrieveInput, type Retriever } from '../../core/retrieval.ts';
import { formatIssues } from '../../core/zod-issues.ts';

/**
 * The `retrieve` activity over a retriever. Input that breaks the contract (no query, `k`
 * out of range) is a non-retryable `bad_request`; the query text itself never fails, a query
 * that finds nothing comes back `weak`. Infrastructure errors (the index cannot be read)
 * propagate as plain errors, which Temporal retries.
 *
 * @example
 * const activities = { ...createActivities(deps), retrieve: createRetrieveActivity(retriever) };
 */
export function createRetrieveActivity(retriever: Retriever) {
  return async function retrieve(input: RetrieveInput): Promise<RetrievalResult> {
    const parsed = retrieveInputSchema.safeParse(input);
    if (!parsed.success) {
      throw ApplicationFailure.create({
        type: 'bad_request',
        nonRetryable: true,
        message: `invalid retrieve input: ${formatIssues(parsed.error)}`,
      });
    }
    return retriever.retrieve(parsed.data);
  };
}
