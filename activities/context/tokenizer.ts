import { createRequire } from 'node:module';
import { countMessageTokens, countToolSpecTokens, type TokenCounter } from '../../core/context.ts';
import type { Message, ToolSpec } from '../../core/messages.ts';
import type { ModelRef } from '../../core/model.ts';
import type { TokenizerFamily } from '../../core/provider-profile.ts';
import { builtInProviderProfiles } from '../../core/providers/index.ts';
import { boundedPieces } from './bounded-pieces.ts';

/**
 * Token counts for a model family, from `gpt-tokenizer` (pure JS, OpenAI's BPE encodings
 * bundled in the package: no network, no WASM). A provider says which family it is
 * (`tokenizer` in its profile: `gpt`, `anthropic` or `approximate`).
 *
 * - GPT-family models on a `gpt` provider (OpenAI, openai-compatible) get their exact encoding:
 *   `o200k_base` for gpt-4o, gpt-4.1, gpt-4.5, gpt-5*, o1/o3/o4 and realtime/audio models;
 *   `o200k_harmony` for gpt-oss; `cl100k_base` for gpt-4, gpt-4-turbo, gpt-3.5-turbo and
 *   the text-embedding-3 / ada-002 embedding models (the prefixes tiktoken itself uses).
 *   A vendor prefix (`openai/gpt-4o` through a gateway) and an `ft:` prefix are ignored.
 * - Anthropic publishes no tokenizer for its current models. Their counts are approximated
 *   as the `cl100k_base` count × 1.2 (rounded up), flagged `exact: false`. Claude's
 *   tokenizers produce about as many tokens as cl100k on English prose and noticeably more
 *   on code and other scripts; 1.2 errs on the side of trimming a little too much rather
 *   than being refused with "prompt too long". (Anthropic's count-tokens endpoint would be
 *   exact, at the price of a network call per count.)
 * - Anything else (a GPT name we do not know, a local Llama or Qwen behind an
 *   openai-compatible server, any model of an `approximate` provider) uses the same
 *   approximation, also `exact: false`.
 *
 * Special-token strings in the text (`<|endoftext|>`) are counted as plain text, as the
 * providers treat user content. Encoders load on first use and are cached per process.
 *
 * @example
 * const tok = tokenizerFor({ provider: 'openai', name: 'gpt-4.1-mini' });
 * tok.name;                  // 'o200k_base'
 * tok.count('hello world');  // 2
 */
export interface Tokenizer extends TokenCounter {
  /** Tokens a canonical message costs, framing included (see `countMessageTokens`). */
  countMessage(message: Message): number;
  /** Tokens a tool definition costs (see `countToolSpecTokens`). */
  countTool(spec: ToolSpec): number;
  /** The text of the first `maxTokens` tokens of `text`; used to truncate without a search. */
  prefix(text: string, maxTokens: number): string;
}

export const encodingNames = ['o200k_base', 'o200k_harmony', 'cl100k_base'] as const;
export type EncodingName = (typeof encodingNames)[number];

/** Safety factor over `cl100k_base` counts for models without a public tokenizer. */
export const APPROXIMATION_FACTOR = 1.2;

interface EncodeOptions {
  disallowedSpecial?: Set<string>;
}
interface Encoder {
  countTokens(text: string, options?: EncodeOptions): number;
  encodeGenerator(text: string, options?: EncodeOptions): Generator<number[], number, undefined>;
  decode(tokens: Iterable<number>): string;
}

const require = createRequire(import.meta.url);
const encoders = new Map<EncodingName, Encoder>();
const plainText = { disallowedSpecial: new Set<string>() };

/** The pre-token regexes the encodings split text with (see `boundedPieces`). */
const splitRegexes = require('gpt-tokenizer/cjs/encodingParams/constants') as {
  O200K_TOKEN_SPLIT_REGEX: RegExp;
  CL100K_TOKEN_SPLIT_REGEX: RegExp;
};
function splitRegexOf(name: EncodingName): RegExp {
  return name === 'cl100k_base' ? splitRegexes.CL100K_TOKEN_SPLIT_REGEX : splitRegexes.O200K_TOKEN_SPLIT_REGEX;
}

function encoder(name: EncodingName): Encoder {
  let loaded = encoders.get(name);
  if (!loaded) {
    loaded = require(`gpt-tokenizer/cjs/encoding/${name}`) as Encoder;
    encoders.set(name, loaded);
  }
  return loaded;
}

const separators = '(?=$|[-:@])';
const encodingRules: readonly { pattern: RegExp; encoding: EncodingName }[] = [
  { pattern: new RegExp(`^gpt-oss${separators}`), encoding: 'o200k_harmony' },
  {
    pattern: new RegExp(
      `^(gpt-4o|chatgpt-4o|gpt-4\\.1|gpt-4\\.5|gpt-5(\\.\\d+)?|gpt-realtime|gpt-audio|o1|o3|o4-mini|o4|omni-moderation|codex-mini)${separators}`,
    ),
    encoding: 'o200k_base',
  },
  {
    pattern: new RegExp(
      `^(gpt-4|gpt-3\\.5-turbo|gpt-35-turbo|text-embedding-3-small|text-embedding-3-large|text-embedding-ada-002)${separators}`,
    ),
    encoding: 'cl100k_base',
  },
];

/** The exact encoding of an OpenAI model name, or undefined when the name is not one we know. */
export function encodingForModel(name: string): EncodingName | undefined {
  const bare = name.toLowerCase().replace(/^.*\//, '').replace(/^ft:/, '');
  return encodingRules.find((r) => r.pattern.test(bare))?.encoding;
}

const tokenizers = new Map<string, Tokenizer>();

/** Tokens of `text`, in linear time however long its unbroken runs (see `boundedPieces`). */
function countBounded(enc: Encoder, split: RegExp, text: string): number {
  let n = 0;
  for (const p of boundedPieces(text, split)) {
    n += enc.countTokens(p.start === 0 && p.end === text.length ? text : text.slice(p.start, p.end), plainText);
  }
  return n;
}

/** The text of the first `maxTokens` tokens, in linear time: whole pieces while they fit,
 * then the prefix of the piece that does not. */
function boundedPrefix(enc: Encoder, split: RegExp, text: string, maxTokens: number): string {
  const pieces = [...boundedPieces(text, split)];
  if (pieces.length === 1) return encodedPrefix(enc, text, maxTokens);
  let used = 0;
  for (const p of pieces) {
    const piece = text.slice(p.start, p.end);
    const tokens = enc.countTokens(piece, plainText);
    if (used + tokens > maxTokens) return text.slice(0, p.start) + encodedPrefix(enc, piece, maxTokens - used);
    used += tokens;
  }
  return text;
}

/** The text of the first `maxTokens` tokens, encoding no further than needed. */
function encodedPrefix(enc: Encoder, text: string, maxTokens: number): string {
  const tokens: number[] = [];
  for (const chunk of enc.encodeGenerator(text, plainText)) {
    tokens.push(...chunk);
    if (tokens.length >= maxTokens) break;
  }
  return enc.decode(tokens.slice(0, Math.max(0, maxTokens)));
}

function build(name: string, exact: boolean, count: (text: string) => number, prefix: Tokenizer['prefix']): Tokenizer {
  return {
    name,
    exact,
    count,
    prefix,
    countMessage: (message) => countMessageTokens(message, count),
    countTool: (spec) => countToolSpecTokens(spec, count),
  };
}

function cached(name: string, make: () => Tokenizer): Tokenizer {
  let t = tokenizers.get(name);
  if (!t) {
    t = make();
    tokenizers.set(name, t);
  }
  return t;
}

/** The exact tokenizer of an OpenAI encoding. */
export function encodingTokenizer(encoding: EncodingName): Tokenizer {
  return cached(encoding, () =>
    build(
      encoding,
      true,
      (text) => (text === '' ? 0 : countBounded(encoder(encoding), splitRegexOf(encoding), text)),
      (text, maxTokens) => boundedPrefix(encoder(encoding), splitRegexOf(encoding), text, maxTokens),
    ),
  );
}

function approximateTokenizer(family: 'anthropic' | 'unknown'): Tokenizer {
  const name = `${family}≈cl100k_base×${APPROXIMATION_FACTOR}`;
  return cached(name, () => {
    const base = encodingTokenizer('cl100k_base');
    return build(
      name,
      false,
      (text) => Math.ceil(base.count(text) * APPROXIMATION_FACTOR),
      (text, maxTokens) => base.prefix(text, Math.floor(maxTokens / APPROXIMATION_FACTOR)),
    );
  });
}

/** The tokenizer for a model: exact for OpenAI's GPT family, a flagged approximation
 * otherwise. See the module comment for the rules. `family` is its provider's (the
 * descriptor's `tokenizer`); without one, a built-in provider's, else `gpt`. */
export function tokenizerFor(model: ModelRef, family: TokenizerFamily = builtInFamily(model.provider)): Tokenizer {
  if (family === 'anthropic') return approximateTokenizer('anthropic');
  const encoding = family === 'gpt' ? encodingForModel(model.name) : undefined;
  return encoding ? encodingTokenizer(encoding) : approximateTokenizer('unknown');
}

function builtInFamily(provider: string): TokenizerFamily {
  return builtInProviderProfiles.find((p) => p.id === provider)?.tokenizer ?? 'gpt';
}

/** The encodings this process has loaded so far. */
export function loadedEncodings(): EncodingName[] {
  return [...encoders.keys()];
}

/**
 * Loads now the encodings these models count with, so that a worker's first model call does
 * not: loading one takes 50–130 ms of CPU (`o200k_base` the most) and 25–55 MB, once per
 * process, and a worker that serves those models would pay it in its first run otherwise.
 * `familyOf` gives a provider's tokenizer family (its descriptor's; without one, a built-in
 * provider's, as `tokenizerFor` decides). Returns the tokenizers' names, each once.
 */
export function preloadTokenizers(
  models: readonly ModelRef[],
  familyOf: (provider: string) => TokenizerFamily | undefined = () => undefined,
): string[] {
  const names = new Set<string>();
  for (const model of models) {
    const tokenizer = tokenizerFor(model, familyOf(model.provider));
    if (names.has(tokenizer.name)) continue;
    names.add(tokenizer.name);
    tokenizer.count('warm up');
  }
  return [...names];
}
