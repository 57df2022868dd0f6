import type { ExecuteToolInput, ExecuteToolResult } from '../core/activity-contracts.ts';
import type { RunStore } from './store/run-store.ts';

/** A result over `inlineMaxChars` goes to the run store; history gets its start and the key
 * (per run, step and call, so a retried attempt of the same call writes the same key). */
export async function byReference(
  store: RunStore,
  input: Pick<ExecuteToolInput, 'runId' | 'step' | 'callId' | 'inlineMaxChars'>,
  result: ExecuteToolResult,
): Promise<ExecuteToolResult> {
  const limit = input.inlineMaxChars!;
  if (result.content.length <= limit) return result;
  const ref = `${input.runId}/tool/${input.step}/${input.callId}`;
  await store.putContent(ref, result.content, input.runId);
  return { content: result.content.slice(0, limit), truncated: result.truncated, ref, chars: result.content.length };
}
