import { describe, expect, it } from 'vitest';
import type { CallModelInput } from '../../core/activity-contracts.ts';
import { packCallModelInput, unpackCallModelInput } from '../../core/call-model-wire.ts';

const model = { provider: 'openai', name: 'gpt-4.1' } as const;
const step: CallModelInput = {
  runId: 'run-1',
  step: 3,
  timeoutMs: 60_000,
  request: { system: '', tools: [], messages: [], maxOutputTokens: 1024, model },
  toolsRef: `tools/${'a'.repeat(64)}`,
  conversation: {
    id: 'run-1',
    storedLength: 4,
    append: [{ role: 'tool', results: [{ callId: 'c1', name: 'calc', content: '2', isError: false }] }],
  },
  prompt: { name: 'p', hash: 'b'.repeat(64) },
  summarizer: { ...model },
  live: { call: 3 },
  contextBase: '0123456789abcdef',
};

describe('callModel input as history carries it', () => {
  it('a workflow sends every field an activity of an earlier version reads (rolling deploys)', () => {
    const wire = packCallModelInput(step);
    expect(wire).toEqual(step);
  });

  it('an activity unpacks the short form a later release may send: what it can tell on its own', () => {
    const { system: _s, tools: _t, messages: _m, ...request } = step.request;
    const { id: _id, ...conversation } = step.conversation!;
    const short = { ...step, request, conversation, summarizer: 'model' as const };
    expect(JSON.stringify(short).length).toBeLessThan(JSON.stringify(step).length - 80);
    expect(unpackCallModelInput(JSON.parse(JSON.stringify(short)))).toEqual(step);
  });

  it('keeps what differs from the defaults', () => {
    const other: CallModelInput = {
      ...step,
      request: {
        ...step.request,
        system: 'sys',
        tools: [{ name: 't', description: 'd', inputSchema: { type: 'object' } }],
        messages: [{ role: 'user', content: 'hi' }],
      },
      conversation: { ...step.conversation!, id: 'shared-conversation' },
      summarizer: { provider: 'openai', name: 'gpt-4.1-mini' },
    };
    const wire = packCallModelInput(other);
    expect(wire).toEqual(other);
    expect(unpackCallModelInput(wire)).toEqual(other);
  });

  it('a stored tool result (ref) goes without its start: the activity reads it from the store', () => {
    const stored = { callId: 'c2', name: 'fetch', content: 'x'.repeat(256), isError: false, ref: 'run-1/tool/3/c2' };
    const inlined = { callId: 'c3', name: 'calc', content: '4', isError: false };
    const input: CallModelInput = {
      ...step,
      conversation: { ...step.conversation!, append: [{ role: 'tool', results: [stored, inlined] }] },
    };
    const wire = packCallModelInput(input);
    expect(JSON.stringify(wire)).not.toContain('x'.repeat(256));
    expect(wire.conversation!.append).toEqual([
      { role: 'tool', results: [{ ...stored, content: undefined }, inlined] },
    ]);
    // What the activity gets: the same input, with the start of the stored result (which it
    // replaces by the whole content from the store) empty.
    expect(unpackCallModelInput(JSON.parse(JSON.stringify(wire)))).toEqual({
      ...input,
      conversation: {
        ...input.conversation!,
        append: [{ role: 'tool', results: [{ ...stored, content: '' }, inlined] }],
      },
    });
  });

  it('a whole input (older histories, direct callers) unpacks to itself', () => {
    expect(unpackCallModelInput(step)).toEqual(step);
    const { summarizer: _s, conversation: _c, ...bare } = step;
    expect(unpackCallModelInput(bare)).toEqual(bare);
    expect(unpackCallModelInput(packCallModelInput(bare))).toEqual(bare);
  });
});
