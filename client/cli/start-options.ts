/**
 * The flags `run` and `task` share: which model (or routing table) serves the work, the
 * output contract, the run id, whether to wait.
 */
import type { ModelRef } from '../../core/model.ts';
import { builtInProviderIds, demoProviderProfile } from '../../core/providers/index.ts';
import type { CommandOf, ConnectOptions } from './command.ts';
import type { CommandArgs } from './flags.ts';

export const defaultModel: ModelRef = { provider: demoProviderProfile.id, name: demoProviderProfile.models.default };

/** `--routing`: the example table over the configured providers, or a JSON file. */
export const exampleRoutingName = 'example';

/** Parses a `provider/name` model reference; the name may itself contain slashes. */
export function parseModelRef(text: string): ModelRef | { error: string } {
  const slash = text.indexOf('/');
  const provider = builtInProviderIds.find((id) => slash > 0 && id === text.slice(0, slash));
  const name = slash > 0 ? text.slice(slash + 1) : '';
  if (!provider || !name) {
    return {
      error: `--model must be provider/name with provider one of ${builtInProviderIds.join(', ')} (got "${text}")`,
    };
  }
  return { provider, name };
}

/** The fields a `run` and a `task` command have in common. */
export type StartOptions = Pick<
  CommandOf<'run' | 'task'>,
  'model' | 'routing' | 'outputSchemaFile' | 'runId' | 'wait' | 'json'
> & {
  connection: ConnectOptions;
};

export function parseStartOptions({
  values,
  connection,
  json,
}: CommandArgs<'run' | 'task'>): StartOptions | { error: string } {
  let model: ModelRef | undefined;
  if (values.model !== undefined) {
    const ref = parseModelRef(values.model);
    if ('error' in ref) return ref;
    model = ref;
  }
  if (model && values.routing !== undefined) return { error: 'give --model or --routing, not both' };
  if (values.routing === '') return { error: `--routing needs a JSON file or "${exampleRoutingName}"` };
  return {
    connection,
    ...(model ? { model } : {}),
    ...(values.routing !== undefined ? { routing: values.routing } : {}),
    ...(values['output-schema'] !== undefined ? { outputSchemaFile: values['output-schema'] } : {}),
    ...(values['run-id'] !== undefined ? { runId: values['run-id'] } : {}),
    wait: values.wait ?? false,
    json,
  };
}
