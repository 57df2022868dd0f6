import type { PromptPin } from '../core/activity-contracts.ts';
import type { Instructions } from '../core/run.ts';
import { resolvePrompt } from './activities.ts';

/** Pins the prompt version a run uses from start to end (and across continue-as-new and
 * worker deploys): one activity whose result — name and content hash — is in history. */
export async function pinPrompt(owner: string, instructions: Instructions): Promise<PromptPin> {
  return typeof instructions === 'string'
    ? resolvePrompt({ name: `${owner}/instructions`, inline: instructions })
    : resolvePrompt({
        name: instructions.template,
        ...(instructions.version ? { version: instructions.version } : {}),
      });
}
