/**
 * Assembles a streamed Chat Completions answer (`ChatCompletionChunk`s) into the
 * `ChatCompletion` the same request returns without streaming, so both go through one
 * reader (`fromOpenAIResponse`) and give the same canonical response. Passes each piece on
 * as a `ModelDelta` as it arrives.
 */
import type OpenAI from 'openai';
import type { ModelDelta } from '../../core/model.ts';

type Chunk = OpenAI.ChatCompletionChunk;
type ChatCompletion = OpenAI.ChatCompletion;

interface PendingCall {
  id?: string;
  name?: string;
  args: string;
}

export interface OpenAIStreamAssembly {
  /** Reads one chunk. */
  push(chunk: Chunk): void;
  /** The answer so far as a `ChatCompletion`; `finished` once a finish reason came, `hasUsage`
   * once the usage chunk did (sent last, when `stream_options.include_usage` asked for it). */
  result(): { completion: ChatCompletion; finished: boolean; hasUsage: boolean };
}

export function assembleOpenAIStream(emit: (delta: ModelDelta) => void): OpenAIStreamAssembly {
  let id = '';
  let model: string | undefined;
  let content: string | null = null;
  let refusal: string | null = null;
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  const calls: PendingCall[] = [];

  return {
    push(chunk) {
      if (typeof chunk.id === 'string' && chunk.id) id = chunk.id;
      if (typeof chunk.model === 'string' && chunk.model) model = chunk.model;
      if (chunk.usage && typeof chunk.usage === 'object') usage = chunk.usage;
      const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
      const choice = choices.find((c) => c.index === 0) ?? choices[0];
      if (!choice) return;
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string') {
        content = (content ?? '') + delta.content;
        if (delta.content) emit({ kind: 'text', text: delta.content });
      }
      if (typeof delta.refusal === 'string') {
        refusal = (refusal ?? '') + delta.refusal;
        // A refusal's wording becomes the answer's text (see `fromOpenAIResponse`).
        if (delta.refusal) emit({ kind: 'text', text: delta.refusal });
      }
      for (const piece of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        const index = typeof piece.index === 'number' ? piece.index : 0;
        const call = (calls[index] ??= { args: '' });
        const args = piece.function?.arguments ?? '';
        const first: { id?: string; name?: string } = {};
        if (piece.id && call.id === undefined) call.id = first.id = piece.id;
        if (piece.function?.name && call.name === undefined) call.name = first.name = piece.function.name;
        call.args += args;
        emit({ kind: 'tool-call', index, ...first, args });
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    },
    result() {
      const toolCalls = calls.flatMap((c, index) =>
        c
          ? [
              {
                id: c.id ?? `call_${index}`,
                type: 'function' as const,
                function: { name: c.name ?? '', arguments: c.args },
              },
            ]
          : [],
      );
      const completion = {
        id,
        object: 'chat.completion',
        created: 0,
        model: model ?? '',
        choices: [
          {
            index: 0,
            logprobs: null,
            finish_reason: finish,
            message: {
              role: 'assistant',
              content,
              refusal,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            },
          },
        ],
        ...(usage ? { usage } : {}),
      } as unknown as ChatCompletion;
      return { completion, finished: finish !== null, hasUsage: usage !== undefined };
    },
  };
}
