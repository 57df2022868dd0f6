import type { PromptPin } from '../core/activity-contracts.ts';
import type { Instructions } from '../core/run.ts';
import { sha256Hex } from '../tools/fingerprint.ts';
import { resolvePrompt } from './activities.ts';

/**
 * Pins the prompt version a run uses from start to end (and across continue-as-new and
 * worker deploys): its name and content hash, in history.
 * - Inline instructions are pinned here, with no activity: the hash of the text the run's
 *   input already holds. The text is `content`: the first model call stores it in the run
 *   store with the prompt (`CallModelInput.promptContent`), later calls send the hash only.
 * - A named template is read from the prompts folder by the `resolvePrompt` local activity,
 *   whose result (name, hash, label) is recorded in history.
 */
export async function pinPrompt(
  owner: string,
  instructions: Instructions,
): Promise<{ pin: PromptPin; content?: string }> {
  if (typeof instructions === 'string') {
    return { pin: { name: `${owner}/instructions`, hash: sha256Hex(instructions) }, content: instructions };
  }
  const pin = await resolvePrompt({
    name: instructions.template,
    ...(instructions.version ? { version: instructions.version } : {}),
  });
  return { pin };
}
