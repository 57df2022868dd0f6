/**
 * Assembles a streamed Messages answer (`RawMessageStreamEvent`s) into the `Message` the
 * same request returns without streaming, so both go through one reader
 * (`fromAnthropicResponse`) and give the same canonical response. Passes each piece on as a
 * `ModelDelta` as it arrives.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { ModelDelta } from '../../core/model.ts';

type StreamEvent = Anthropic.RawMessageStreamEvent;
type AnthropicMessage = Anthropic.Message;

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; json: string; opened: unknown; call: number }
  | { type: 'other'; block: unknown };

export interface AnthropicStreamAssembly {
  push(event: StreamEvent): void;
  /** The answer so far as a `Message`; `finished` once `message_stop` came. */
  result(): { message: AnthropicMessage; finished: boolean };
}

/** Usage fields `message_delta` may update (cumulative counts; a null leaves the value). */
const USAGE_FIELDS = ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'];

export function assembleAnthropicStream(emit: (delta: ModelDelta) => void): AnthropicStreamAssembly {
  let head: Partial<AnthropicMessage> = {};
  let usage: Record<string, unknown> = {};
  let stopReason: string | null = null;
  let finished = false;
  let calls = 0;
  const blocks: Block[] = [];

  return {
    push(event) {
      switch (event.type) {
        case 'message_start':
          head = event.message;
          usage = { ...(event.message.usage as unknown as Record<string, unknown>) };
          return;
        case 'content_block_start': {
          const b = event.content_block;
          if (b.type === 'text') {
            blocks[event.index] = { type: 'text', text: b.text ?? '' };
            if (b.text) emit({ kind: 'text', text: b.text });
          } else if (b.type === 'tool_use') {
            const call = calls++;
            blocks[event.index] = { type: 'tool_use', id: b.id, name: b.name, json: '', opened: b.input, call };
            emit({ kind: 'tool-call', index: call, id: b.id, name: b.name, args: '' });
          } else {
            blocks[event.index] = { type: 'other', block: b };
          }
          return;
        }
        case 'content_block_delta': {
          const block = blocks[event.index];
          const d = event.delta;
          if (d.type === 'text_delta' && block?.type === 'text') {
            block.text += d.text;
            if (d.text) emit({ kind: 'text', text: d.text });
          } else if (d.type === 'input_json_delta' && block?.type === 'tool_use') {
            block.json += d.partial_json;
            if (d.partial_json) emit({ kind: 'tool-call', index: block.call, args: d.partial_json });
          }
          return;
        }
        case 'message_delta':
          stopReason = event.delta.stop_reason ?? stopReason;
          for (const field of USAGE_FIELDS) {
            const value = (event.usage as unknown as Record<string, unknown>)[field];
            if (value !== null && value !== undefined) usage[field] = value;
          }
          return;
        case 'message_stop':
          finished = true;
          return;
        default:
          return;
      }
    },
    result() {
      const content = blocks.flatMap((b): Record<string, unknown>[] => {
        if (!b || b.type === 'other') return [];
        if (b.type === 'text') return [{ type: 'text', text: b.text, citations: null }];
        return [{ type: 'tool_use', id: b.id, name: b.name, input: toolInput(b.json, b.opened) }];
      });
      const message = { ...head, content, stop_reason: stopReason, usage } as unknown as AnthropicMessage;
      return { message, finished };
    },
  };
}

/** A tool's input from its streamed JSON, parsed once at the end. No pieces: the input the
 * block opened with (`{}` as Anthropic sends it). JSON that does not parse stays the raw
 * string, as for OpenAI, and validation then rejects it with a clear message. */
function toolInput(json: string, opened: unknown): unknown {
  if (json.trim() === '') return opened ?? {};
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}
