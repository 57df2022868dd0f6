import { encodingTokenizer } from '../activities/context/tokenizer.ts';
import type { RunResult } from '../core/run.ts';

/**
 * How prompt-cache friendly the runs were, three ways:
 *
 * - **wire** (measured on the requests the provider received; the fake providers keep them):
 *   for every model request after the first of a run, the share of its tokens that is a
 *   byte-identical prefix of an earlier request of the same run *to the same model* — what a
 *   provider's prefix cache can serve, whatever Bosun believes it sent. Requests are read in
 *   the order a provider renders them for caching: tool definitions, then the messages
 *   (system first). The first request of a run is left out (nothing can be cached yet); the
 *   share over all requests is given beside it.
 * - **recorded** (Bosun's own context record of every call): system + tool definitions +
 *   pinned data — the part Bosun keeps identical across steps — over the whole prompt.
 * - **provider** (what the provider reported as served from its cache, `usage.cachedInput`,
 *   over all input): real with real keys; zero on fakes, which report no caching.
 */

export interface PrefixShare {
  /** Runs with two model requests or more. */
  runs: number;
  /** Requests after the first of those runs. */
  requests: number;
  inputTokens: number;
  prefixTokens: number;
  /** prefixTokens / inputTokens over the requests after the first of each run. */
  share: number | null;
  /** The same over every request of those runs, the first (never cached) included. */
  shareAllRequests: number | null;
  /** prefixTokens / the tokens of the earlier request each one matched best: 1 means no
   * step ever changed what an earlier request of its model sent (what is not cached is new
   * content only); below 1, something before the new content changed between steps. */
  stability: number | null;
  /** The share by run length (model requests per run): it grows with the length, because
   * each step adds a new turn that no cache can hold yet. */
  byRequests: { requests: number; runs: number; share: number | null }[];
}

export interface CacheShares {
  wire: PrefixShare | null;
  /** The wire share over the runs of `MULTI_STEP_REQUESTS` requests or more: the goal's
   * measure (issue 19: ≥ 90% of input in the stable prefix over multi-step runs). */
  wireMultiStep?: PrefixShare | null;
  recorded: { calls: number; share: number | null };
  provider: { inputTokens: number; cachedTokens: number; share: number | null };
}

/** One request as the wire carried it (OpenAI Chat Completions body). */
export interface WireRequest {
  body: unknown;
}

/** Requests a run must have made to count as multi-step for `wireMultiStep`. */
export const MULTI_STEP_REQUESTS = 3;

/**
 * The wire share over a set of requests. A run is told apart by its first user message (the
 * task, unique per case in a suite); each request is compared with every earlier one of its
 * run to the same model, and the longest common prefix counts. Runs with fewer than
 * `minRequests` requests are left out (2: every run that could hit a cache).
 */
export function wirePrefixShare(requests: readonly WireRequest[], minRequests = 2): PrefixShare {
  const tok = encodingTokenizer('o200k_base');
  const runs = new Map<string, { model: string; text: string }[]>();
  for (const r of requests) {
    const body = r.body as { model?: unknown; messages?: unknown; tools?: unknown } | null;
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages)) continue;
    const messages = body.messages as { role?: unknown; content?: unknown }[];
    const first = messages.find((m) => m.role === 'user');
    const key = typeof first?.content === 'string' ? first.content : JSON.stringify(first?.content ?? null);
    const text = [JSON.stringify(body.tools ?? []), ...messages.map((m) => JSON.stringify(m))].join('\n');
    runs.set(key, [...(runs.get(key) ?? []), { model: body.model, text }]);
  }
  let firstTokens = 0;
  let matched = 0;
  // Per run length; the totals are their sums.
  const byLength = new Map<number, { runs: number; requests: number; input: number; prefix: number }>();
  for (const sent of runs.values()) {
    if (sent.length < Math.max(2, minRequests)) continue;
    const length = byLength.get(sent.length) ?? { runs: 0, requests: 0, input: 0, prefix: 0 };
    byLength.set(sent.length, length);
    length.runs++;
    // Each request counted once: it is the request of its step and an earlier one after it.
    const tokens = sent.map((req) => tok.count(req.text));
    for (const [i, req] of sent.entries()) {
      if (i === 0) {
        firstTokens += tokens[0]!;
        continue;
      }
      let common = 0;
      let best: number | undefined;
      for (const [j, earlier] of sent.slice(0, i).entries()) {
        if (earlier.model !== req.model) continue;
        const n = commonPrefixLength(earlier.text, req.text);
        if (best === undefined || n > common) [common, best] = [n, j];
      }
      length.requests++;
      length.input += tokens[i]!;
      length.prefix += common === 0 ? 0 : tok.count(req.text.slice(0, common));
      if (best !== undefined) matched += tokens[best]!;
    }
  }
  const lengths = [...byLength].sort(([a], [b]) => a - b);
  const sum = (k: 'runs' | 'requests' | 'input' | 'prefix') => lengths.reduce((n, [, l]) => n + l[k], 0);
  const input = sum('input');
  const prefix = sum('prefix');
  return {
    runs: sum('runs'),
    requests: sum('requests'),
    inputTokens: input,
    prefixTokens: prefix,
    share: input ? round(prefix / input) : null,
    shareAllRequests: input + firstTokens ? round(prefix / (input + firstTokens)) : null,
    stability: matched ? round(prefix / matched) : null,
    byRequests: lengths.map(([requests, l]) => ({
      requests,
      runs: l.runs,
      share: l.input ? round(l.prefix / l.input) : null,
    })),
  };
}

/** Bosun's recorded stable prefix and the provider-reported cache hits, from run results. */
export function recordedShares(results: readonly RunResult[]): Pick<CacheShares, 'recorded' | 'provider'> {
  let calls = 0;
  let stable = 0;
  let total = 0;
  let input = 0;
  let cached = 0;
  for (const r of results) {
    input += r.usage.input;
    cached += r.usage.cachedInput;
    if (r.modelCalls < 2) continue;
    for (const c of r.calls) {
      if (!c.context) continue;
      calls++;
      stable += c.context.stablePrefixTokens;
      total += c.context.totalTokens;
    }
  }
  return {
    recorded: { calls, share: total ? round(stable / total) : null },
    provider: { inputTokens: input, cachedTokens: cached, share: input ? round(cached / input) : null },
  };
}

/** Characters two strings share from their start. */
export function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
