import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  APPROXIMATION_FACTOR,
  encodingForModel,
  encodingTokenizer,
  tokenizerFor,
} from '../../activities/context/tokenizer.ts';
import { MESSAGE_OVERHEAD_TOKENS, TOOL_PART_OVERHEAD_TOKENS, TOOL_SPEC_OVERHEAD_TOKENS } from '../../core/context.ts';
import type { ModelRef } from '../../core/model.ts';

// The library itself, loaded the same way, to check counts against its encode().
const lib = createRequire(import.meta.url);
const o200k = lib('gpt-tokenizer/cjs/encoding/o200k_base') as { encode(t: string): number[] };
const cl100k = lib('gpt-tokenizer/cjs/encoding/cl100k_base') as { encode(t: string): number[] };

const gpt4o: ModelRef = { provider: 'openai', name: 'gpt-4o' };
const gpt4: ModelRef = { provider: 'openai', name: 'gpt-4' };
const sonnet: ModelRef = { provider: 'anthropic', name: 'claude-sonnet-4-5' };

describe('tokenizerFor: exact OpenAI encodings', () => {
  // Counts checked against the library's encode() below; the cl100k ids of
  // "tiktoken is great!" are the ones in OpenAI's token-counting cookbook.
  const known: { text: string; o200k: number; cl100k: number }[] = [
    { text: 'hello world', o200k: 2, cl100k: 2 },
    { text: 'tiktoken is great!', o200k: 6, cl100k: 6 },
    { text: 'The quick brown fox jumps over the lazy dog.', o200k: 10, cl100k: 10 },
    { text: '{"orderId":"ord_123","amountCents":4200}', o200k: 15, cl100k: 14 },
    { text: 'こんにちは世界', o200k: 2, cl100k: 4 },
    { text: '', o200k: 0, cl100k: 0 },
  ];

  it.each(known)(
    'counts "$text" as $o200k tokens in o200k_base (gpt-4o) and $cl100k in cl100k_base (gpt-4)',
    ({ text, o200k: o, cl100k: c }) => {
      expect(tokenizerFor(gpt4o).count(text)).toBe(o);
      expect(tokenizerFor(gpt4).count(text)).toBe(c);
      expect(o200k.encode(text)).toHaveLength(o);
      expect(cl100k.encode(text)).toHaveLength(c);
    },
  );

  it('loads the encodings OpenAI publishes (cookbook token ids)', () => {
    expect(cl100k.encode('tiktoken is great!')).toEqual([83, 1609, 5963, 374, 2294, 0]);
    expect(o200k.encode('hello world')).toEqual([24912, 2375]);
  });

  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-4.1-mini', 'o200k_base'],
    ['gpt-4.5-preview', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-5.2-pro', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o4-mini', 'o200k_base'],
    ['ft:gpt-4o-mini:acme::abc123', 'o200k_base'],
    ['openai/gpt-4.1-nano', 'o200k_base'],
    ['gpt-oss-20b', 'o200k_harmony'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-4-0613', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
  ])('maps %s to %s', (name, encoding) => {
    expect(encodingForModel(name)).toBe(encoding);
    const tok = tokenizerFor({ provider: 'openai', name });
    expect(tok).toMatchObject({ name: encoding, exact: true });
  });

  it('treats an openai-compatible server serving a GPT model like OpenAI', () => {
    expect(tokenizerFor({ provider: 'openai-compatible', name: 'gpt-oss-120b' })).toMatchObject({
      name: 'o200k_harmony',
      exact: true,
    });
  });

  it('counts special-token text as plain text instead of throwing', () => {
    expect(tokenizerFor(gpt4o).count('<|endoftext|>')).toBe(7);
  });

  it('gives the text of the first n tokens, for truncation', () => {
    const tok = tokenizerFor(gpt4o);
    expect(tok.prefix('hello world, and more', 2)).toBe('hello world');
    expect(tok.prefix('hello', 5)).toBe('hello');
    expect(tok.prefix('hello world', 0)).toBe('');
    const approx = tokenizerFor(sonnet);
    // ⌊12 / 1.2⌋ = 10 cl100k tokens, which count as 12.
    const text = 'The quick brown fox jumps over the lazy dog. The quick brown fox';
    expect(approx.count(approx.prefix(text, 12))).toBe(12);
  });

  it('counts 200k characters without a break in linear time, within a fraction of a percent', () => {
    // gpt-tokenizer merges one pre-token in quadratic time: this took about 20 s whole.
    let x = 7;
    const letters = Array.from({ length: 200_000 }, () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return String.fromCharCode(97 + (x % 26));
    }).join('');
    for (const name of ['o200k_base', 'cl100k_base'] as const) {
      const tok = encodingTokenizer(name);
      for (const text of ['a'.repeat(200_000), letters, ' '.repeat(200_000)]) {
        // CPU time, not wall time: the bound must hold on a loaded machine too.
        const started = process.cpuUsage();
        const n = tok.count(text);
        const cut = tok.prefix(text, 1_000);
        const used = process.cpuUsage(started);
        expect((used.user + used.system) / 1000).toBeLessThan(1_000);
        expect(text.startsWith(cut)).toBe(true);
        expect(tok.count(cut)).toBeLessThanOrEqual(1_000);
        expect(tok.count(cut)).toBeGreaterThan(950);
        // Exact on a part short enough to count whole; the long text counts the same per
        // character, give or take a token per 256-character slice.
        const part = text.slice(0, 20_000);
        const exact = (name === 'o200k_base' ? o200k : cl100k).encode(part).length;
        expect(Math.abs(tok.count(part) / exact - 1)).toBeLessThan(0.01);
        expect(n).toBeGreaterThanOrEqual(Math.floor(exact * 10 * 0.99));
        expect(n).toBeLessThanOrEqual(Math.ceil(exact * 10 * 1.01));
      }
    }
  });

  it('counts ordinary text exactly, long or short', () => {
    const prose = 'The order was refunded twice, see ticket #4411; the carrier lost it. '.repeat(2_000);
    expect(encodingTokenizer('o200k_base').count(prose)).toBe(o200k.encode(prose).length);
    expect(encodingTokenizer('cl100k_base').count(prose)).toBe(cl100k.encode(prose).length);
  });

  it('caches one tokenizer per encoding', () => {
    expect(tokenizerFor(gpt4o)).toBe(tokenizerFor({ provider: 'openai', name: 'gpt-4.1' }));
    expect(encodingTokenizer('cl100k_base')).toBe(tokenizerFor(gpt4));
  });
});

describe('tokenizerFor: approximations, flagged', () => {
  it('approximates Anthropic models as cl100k_base × 1.2, rounded up, and says it is inexact', () => {
    const tok = tokenizerFor(sonnet);
    expect(tok.exact).toBe(false);
    expect(tok.name).toBe('anthropic≈cl100k_base×1.2');
    expect(APPROXIMATION_FACTOR).toBe(1.2);
    for (const text of ['hello world', 'tiktoken is great!', 'The quick brown fox jumps over the lazy dog.']) {
      expect(tok.count(text)).toBe(Math.ceil(cl100k.encode(text).length * 1.2));
    }
    expect(tok.count('The quick brown fox jumps over the lazy dog.')).toBe(12);
  });

  it.each([
    { provider: 'openai-compatible', name: 'qwen2.5-72b-instruct' },
    { provider: 'openai-compatible', name: 'llama-3.1-8b' },
    { provider: 'openai', name: 'gpt-7-ultra' },
  ] as ModelRef[])('approximates the unknown model $name, inexact', (model) => {
    expect(tokenizerFor(model)).toMatchObject({ name: 'unknown≈cl100k_base×1.2', exact: false });
  });
});

describe('counting messages and tool definitions', () => {
  const tok = tokenizerFor(gpt4o);

  it('a user message: its text plus the per-message overhead', () => {
    expect(tok.countMessage({ role: 'user', content: 'hello world' })).toBe(2 + MESSAGE_OVERHEAD_TOKENS);
  });

  it('an assistant message: text plus the JSON of each tool call', () => {
    const call = { id: 'c1', name: 'lookup_order', input: { orderId: 'ord_123' } };
    expect(tok.countMessage({ role: 'assistant', text: 'Looking it up.', toolCalls: [call] })).toBe(
      tok.count('Looking it up.') +
        tok.count(JSON.stringify(call)) +
        TOOL_PART_OVERHEAD_TOKENS +
        MESSAGE_OVERHEAD_TOKENS,
    );
  });

  it('a tool message: each result content plus its envelope', () => {
    const result = { callId: 'c1', name: 'lookup_order', content: '{"status":"refunded"}', isError: false };
    expect(tok.countMessage({ role: 'tool', results: [result, result] })).toBe(
      2 * (tok.count(result.content) + tok.count('{"callId":"c1","name":"lookup_order"}') + TOOL_PART_OVERHEAD_TOKENS) +
        MESSAGE_OVERHEAD_TOKENS,
    );
  });

  it('a tool definition: the JSON of its name, description and schema', () => {
    const spec = {
      name: 'lookup_order',
      description: 'Look up an order.',
      inputSchema: { type: 'object', properties: { orderId: { type: 'string' } } },
    };
    expect(tok.countTool(spec)).toBe(
      tok.count(JSON.stringify({ name: spec.name, description: spec.description, parameters: spec.inputSchema })) +
        TOOL_SPEC_OVERHEAD_TOKENS,
    );
  });
});
