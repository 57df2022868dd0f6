/**
 * What happens to a model's answer between the provider and the workflow: stored in the
 * run's conversation (fenced against stale attempts), handed back inline or by reference,
 * and refused when it cannot fit in a Temporal payload. Used by `callModel`.
 */
import { log, type Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CallModelInput } from '../core/activity-contracts.ts';
import type { ModelResponse } from '../core/model.ts';
import { describeBytes, jsonBytes, MAX_ACTIVITY_RESULT_BYTES, utf8Length } from '../core/payload-limits.ts';
import type { Usage } from '../core/usage.ts';
import type { ProviderFailureDetails } from './model/provider-errors.ts';
import type { RunStore, TokenCounts, WriteFence } from './store/run-store.ts';

/**
 * Where the answer goes and how it comes back: with a stored conversation it is stored at
 * `position` (after the sent messages); when the call asked for answers by reference and
 * this one's text is longer than it allows, the result carries a reference instead of the
 * text (`answerRef`).
 */
export function handBack(
  response: ModelResponse,
  input: CallModelInput,
  position: number,
  store: RunStore | undefined,
): { position?: number; ref?: NonNullable<ModelResponse['answerRef']> } {
  if (!input.conversation || !store) return {};
  const limit = input.answerInlineMaxBytes;
  const bytes = limit === undefined ? 0 : utf8Length(response.message.text);
  if (limit === undefined || bytes <= limit) return { position };
  return { position, ref: { conversationId: input.conversation.id, position, bytes } };
}

/**
 * An activity result must fit in one Temporal payload (2 MiB by default). A larger one used
 * to be refused by Temporal after the fact — `PayloadsTooLarge` in history only, the attempt
 * retried with the same outcome, the run ended `internal` with no usage. Checked here
 * instead: it ends at once as `payload_too_large` (non-retryable), nothing stored, and the
 * usage the provider billed carried in `details[0].billedUsage` like any billed failure.
 */
export function checkResultSize(key: string, provider: string, result: ModelResponse, billed: Usage): void {
  const bytes = jsonBytes(result);
  if (bytes <= MAX_ACTIVITY_RESULT_BYTES) return;
  throw ApplicationFailure.create({
    type: 'payload_too_large',
    nonRetryable: true,
    message: `${key}: the answer is too large to hand back: ${describeBytes(bytes)}, at most ${describeBytes(MAX_ACTIVITY_RESULT_BYTES)} fit in a Temporal payload`,
    details: [{ provider, code: 'answer_too_large', billedUsage: billed } satisfies ProviderFailureDetails],
  });
}

/** The fence of this activity's writes: every attempt of this call shares it (see
 * `WriteFence`). */
export function fenceOf(info: Context['info']): WriteFence {
  return {
    call: `${info.workflowExecution?.runId ?? 'direct'}/${info.activityId}`,
    scheduledAt: info.scheduledTimestampMs,
  };
}

/**
 * Stores the answer at `position`, fenced: when another attempt of this call stored its
 * answer first (this attempt is stale, or the other one is and already won), this attempt
 * returns the stored answer instead of its own, so whichever attempt completes the activity
 * hands the workflow exactly what the conversation holds. Its own tokens are still reported
 * (the provider billed them). A position taken by a later call means this call completed
 * long ago: this attempt's result will be discarded by Temporal, and it fails.
 */
export async function storeAnswer(
  store: RunStore,
  conversationId: string,
  position: number,
  response: ModelResponse,
  fence: WriteFence,
  where: { runId: string; step: number },
  tokens?: TokenCounts,
): Promise<ModelResponse> {
  const stored = await store.putAnswer(
    conversationId,
    position,
    { message: response.message, stop: response.stop, ...(tokens ? { tokens } : {}) },
    fence,
  );
  if (stored.won) return response;
  log.warn('model answer not stored: another attempt of this call stored its answer first; returning that one', {
    ...where,
    position,
  });
  if (stored.message.role !== 'assistant') {
    throw ApplicationFailure.create({
      type: 'internal',
      nonRetryable: true,
      message: `conversation ${conversationId} moved on past position ${position}: this attempt is stale`,
    });
  }
  const stop = stored.stop ?? (stored.message.toolCalls.length > 0 ? 'tool_calls' : 'end');
  return { ...response, message: stored.message, stop };
}
