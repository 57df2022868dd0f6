import { ApplicationFailure } from '@temporalio/common';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PromptPin, ResolvePromptInput } from '../core/activity-contracts.ts';
import type { RunStore } from './store/run-store.ts';

/**
 * Pins a prompt version for a run. Inline instructions are stored under their content hash;
 * a named template is read from the prompts folder as it is now (so a changed file affects
 * new runs only: running ones keep the hash they pinned). A template file may start with a
 * `<!-- label: ... -->` line naming the version for humans.
 */
export function createResolvePrompt(store: RunStore, promptsDir: string) {
  return async function resolvePrompt(input: ResolvePromptInput): Promise<PromptPin> {
    if (input.inline !== undefined) {
      const v = await store.putPrompt({ name: input.name, content: input.inline });
      return { name: v.name, hash: v.hash };
    }
    if (input.version) {
      const v = await store.getPrompt(input.version);
      if (!v || v.name !== input.name) {
        throw ApplicationFailure.create({
          type: 'invalid_input',
          nonRetryable: true,
          message: `prompt ${input.name}@${input.version} is not in the run store`,
        });
      }
      return { name: v.name, hash: v.hash, ...(v.label ? { label: v.label } : {}) };
    }
    if (!/^[a-zA-Z0-9._-]+$/.test(input.name)) {
      throw ApplicationFailure.create({
        type: 'invalid_input',
        nonRetryable: true,
        message: `invalid template name ${JSON.stringify(input.name)}`,
      });
    }
    let text: string;
    try {
      text = await readFile(join(promptsDir, `${input.name}.md`), 'utf8');
    } catch {
      throw ApplicationFailure.create({
        type: 'invalid_input',
        nonRetryable: true,
        message: `no prompt template "${input.name}" in the prompts folder`,
      });
    }
    const label = /^<!--\s*label:\s*(.+?)\s*-->\s*\n/.exec(text);
    const content = label ? text.slice(label[0].length) : text;
    const v = await store.putPrompt({ name: input.name, content, ...(label ? { label: label[1]! } : {}) });
    return { name: v.name, hash: v.hash, ...(v.label ? { label: v.label } : {}) };
  };
}
