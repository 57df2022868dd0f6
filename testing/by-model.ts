import { requestedModel, type FakeHandler } from './fake-server.ts';
import type { FakeReply } from './script.ts';

/**
 * A handler that answers per requested model (`req.body.model`), for fallback-chain tests
 * where one fake server plays several models. An array is a queue for that model (a 500
 * "script exhausted" once it runs dry); a function is a handler for that model. A model not
 * in the map gets a 404 in the provider's own shape (OpenAI `code: model_not_found`,
 * Anthropic `type: not_found_error`), as a real server answers for an unknown model.
 *
 * @example
 * const server = await startFakeOpenAI({
 *   handler: byModel({
 *     'gpt-big': [{ kind: 'error', status: 503 }, { kind: 'error', status: 503 }],
 *     'gpt-small': [{ kind: 'text', text: 'answered by the fallback' }],
 *   }),
 * });
 */
export function byModel(map: Record<string, FakeHandler | FakeReply[]>): FakeHandler {
  const queues = new Map<string, FakeReply[]>();
  for (const [model, entry] of Object.entries(map)) if (Array.isArray(entry)) queues.set(model, [...entry]);
  return (req, index) => {
    const model = requestedModel(req.body) ?? '';
    const entry = Object.hasOwn(map, model) ? map[model] : undefined;
    if (entry === undefined) {
      return {
        kind: 'error',
        status: 404,
        message: `The model \`${model}\` does not exist (fake server: byModel has no entry for it).`,
      };
    }
    if (typeof entry === 'function') return entry(req, index);
    const next = queues.get(model)?.shift();
    return (
      next ?? {
        kind: 'error',
        status: 500,
        message: `fake server: script for model ${model} exhausted (request #${index + 1})`,
      }
    );
  };
}
