import { z } from 'zod';
import { toolSpecSchema, type Message } from '../core/messages.ts';
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CallModelInput, PromptPin } from '../core/activity-contracts.ts';
import { describeModel, type ModelRequest, type ModelResponse, type ProviderId } from '../core/model.ts';
import { configureHint } from '../core/provider-profile.ts';
import { addUsage, usageSchema, type Usage } from '../core/usage.ts';
import type { ModelAdapter } from './model/types.ts';
import type { ProviderDescriptor } from './model/provider-descriptor.ts';
import { builtInProviders } from './model/providers/index.ts';
import { toProviderFailure, type ProviderFailureDetails } from './model/provider-errors.ts';
import { isBreakerFailure, type CircuitBreaker } from './model/breaker.ts';
import type { ModelPacer, PaceGrant } from './model/pacer.ts';
import {
  causeOf,
  circuitOpen,
  DEFAULT_RATE_LIMIT_HOLD_MS,
  attemptTimeLeftMs,
  paceBudgetMs,
  paced,
  retryAfterOf,
} from './model/call-guards.ts';
import { checkResultSize, fenceOf, handBack, storeAnswer } from './answer-handback.ts';
import { exhaustedWindowMs } from './model/rate-limit-headers.ts';
import { promptHash, type RunStore, type WriteFence } from './store/run-store.ts';
import { createContentMemo, type ContentMemo } from './store/content-memo.ts';
import { assembleRequest, contextWindowOf } from './context/assemble.ts';
import { compactContextRecord } from '../core/context.ts';
import { packContextRecord } from '../core/context-pack.ts';
import { unpackCallModelInput, type CallModelWireInput } from '../core/call-model-wire.ts';
import {
  createConversationCache,
  type ConversationCache,
  type LoadedConversation,
} from './context/conversation-cache.ts';
import { tokenizerFor, type Tokenizer } from './context/tokenizer.ts';
import { annotateModelSpan, recordModelCall, recordModelFailure } from './metrics.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { DeltaPacing } from './live/delta-publisher.ts';
import { runPublisher } from './live/run-publisher.ts';
import { traceModelCalls } from './trace/record.ts';
import type { EarlyToolRunner } from './execute-tool.ts';

/** The adapters a worker serves, by provider id (`createModelAdapters`). */
export type ModelAdapters = Partial<Record<ProviderId, ModelAdapter>>;

export interface CallModelDeps {
  /** The providers the worker knows, configured or not (`builtInProviders` by default):
   * their tokenizer family and error reader are used, and a call to a provider without an
   * adapter fails with a message naming them. */
  providers?: readonly ProviderDescriptor[];
  /** Shared by every run of the worker (see `createCircuitBreaker`). Without one, every
   * call is sent. */
  breaker?: CircuitBreaker;
  /** Where conversations and prompt versions live (runs that send them by reference). */
  store?: RunStore;
  /** Shared by every run of the worker (see `createModelPacer`): at most so many calls in
   * flight per model, and none while the provider's rate limit says to wait. Without one,
   * every call is sent at once. */
  pacer?: ModelPacer;
  /** The worker's copy of the conversations it served (see `createConversationCache`); one
   * per `createCallModel` by default. */
  conversations?: ConversationCache;
  /** The worker's memory of the prompt texts and tool definitions it stored or read (see
   * `createContentMemo`); one per `createCallModel` by default. */
  contents?: ContentMemo;
  /** How calls asked to stream publish their partial answers (`DEFAULT_DELTA_PACING`). */
  deltaPacing?: DeltaPacing;
  /** Runs the answer's tool calls that may run early (`CallModelInput.early`,
   * `createEarlyTools`). Without it, a call that asks for them gets none. */
  early?: EarlyToolRunner;
}

/** What `callModel` heartbeats. `billed` is the usage of earlier attempts of this activity
 * that failed after the provider billed them; Temporal hands the last heartbeat details of a
 * failed attempt to the next attempt, so the sum survives retries (and worker crashes). */
export interface CallModelHeartbeat {
  step: number;
  billed?: Usage;
}

const heartbeatOf = (step: number, billed: Usage | undefined): CallModelHeartbeat =>
  billed ? { step, billed } : { step };

/**
 * One model call = one activity attempt = one provider request. The SDK does not retry
 * (`maxRetries: 0`); Temporal does, using the failure type and `nextRetryDelay` that
 * `toProviderFailure` derives from the provider's answer. The call heartbeats while it
 * waits so a dead worker is noticed within the heartbeat timeout, not the call timeout.
 *
 * Billed failures: an attempt that failed although the provider billed it (a 2xx with usage
 * but an unusable body) is counted. Its usage is added to the heartbeat details the next
 * attempt starts from; a later success returns the sum in `response.billedRetries`, and
 * every failure carries the sum so far in `details[0].billedUsage`, so the final failure of
 * the activity carries the total.
 *
 * Circuit breaker: with `deps.breaker`, a model whose circuit is open fails at once without a
 * request, non-retryably, typed and described by the last failure that opened it
 * (`details[0].code: 'circuit_open'`, its status), so the workflow's fallback chain moves to
 * the next model immediately and the outcome still names the real cause. Rate limits never
 * count towards opening it.
 *
 * Pacing: with `deps.pacer`, a call waits (heartbeating) for a free slot of its model and
 * for the end of any rate-limit hold; a 429 (its `retry-after`, or 1 s without one) and
 * rate-limit headers saying a window is used up hold the model's next calls on this worker.
 * A hold that outlasts what the activity can wait ends it `rate_limited` (code `paced`,
 * nothing sent) with the hold as its retry delay; a slot that does not free in time does
 * not (the call goes, over the limit).
 */
export function createCallModel(adapters: ModelAdapters, deps: CallModelDeps = {}) {
  const { breaker } = deps;
  const providers = deps.providers ?? builtInProviders;
  const descriptorOf = (id: string) => providers.find((p) => p.id === id);
  const { pacer } = deps;
  const conversations = deps.conversations ?? createConversationCache();
  const contents = deps.contents ?? createContentMemo();
  // One trace record per attempt (activities/trace/record.ts).
  const traced = traceModelCalls(deps.store, async function callModel(input: CallModelInput): Promise<ModelResponse> {
    const startedAt = Date.now();
    const { runId, step } = input;
    const fence = fenceOf(Context.current().info);
    const descriptor = descriptorOf(input.request.model.provider);
    const tokenizer = tokenizerFor(input.request.model, descriptor?.tokenizer);
    const { request: whole, loaded } = await materialize(input, deps.store, fence, conversations, contents, tokenizer);
    const {
      request,
      record: context,
      summaries,
    } = await assembleWithSummaries(whole, input, adapters, deps.store, tokenizer, loaded);
    if (context.overBudgetTokens > 0) {
      recordModelFailure({ model: whole.model, type: 'context_too_long' });
      throw ApplicationFailure.create({
        type: 'context_too_long',
        nonRetryable: true,
        message: `request needs ${context.totalTokens} tokens; ${describeModel(whole.model)} allows ${context.budgetTokens} after the output reserve`,
        details: [{ provider: whole.model.provider } satisfies ProviderFailureDetails],
      });
    }
    const ctx = Context.current();
    const key = describeModel(request.model);
    const prior = billedFrom(ctx.info.heartbeatDetails);

    const adapter = adapterOf(adapters, request.model.provider);
    const span = { model: request.model, runId, step, prompt: input.prompt };
    annotateModelSpan(span);
    if (!adapter) {
      recordModelFailure({ model: request.model, type: 'auth' });
      throw withBilled(missingProvider(request.model.provider, descriptor, adapters, providers), prior);
    }

    const gate = breaker?.check(key);
    if (gate?.open) {
      log.warn('model call skipped: circuit open', {
        runId,
        step,
        model: key,
        failures: gate.failures,
        retryInMs: gate.retryInMs,
        lastType: gate.last?.type,
      });
      const failure = circuitOpen(key, request.model.provider, gate);
      recordModelFailure({ model: request.model, type: failure.type ?? 'provider_unavailable' });
      throw withBilled(failure, prior);
    }

    const beatDetails = (billed: Usage | undefined) => heartbeatOf(step, billed);
    const stopHeartbeat = startHeartbeat(ctx, () => beatDetails(prior));
    const live = runPublisher(input, ctx, deps.deltaPacing);
    let lease: PaceLease | undefined;
    try {
      if (pacer) {
        const grant = await pacer.acquire(key, {
          maxWaitMs: paceBudgetMs(ctx.info.startToCloseTimeoutMs, startedAt, input.timeoutMs),
          signal: ctx.cancellationSignal,
        });
        if (!grant.ok) {
          breaker?.release(key);
          log.warn('model call not sent: paced', { runId, step, model: key, reason: grant.reason });
          recordModelFailure({ model: request.model, type: 'rate_limited' });
          throw new NotSent(withBilled(paced(key, request.model.provider, grant), prior));
        }
        lease = grant;
        if (grant.waitedMs > 0) {
          log.info('model call paced', {
            runId,
            step,
            model: key,
            waitedMs: grant.waitedMs,
            overLimit: grant.overLimit,
          });
        }
      }
      let response = await adapter.call(request, {
        signal: ctx.cancellationSignal,
        timeoutMs: input.timeoutMs,
        ...(pacer ? { onHeaders: (h) => pacer.hold(key, exhaustedWindowMs(h) ?? 0) } : {}),
        ...(live ? { onDelta: live.push } : {}),
      });
      await live?.close();
      const answer = handBack(response, input, whole.messages.length, deps.store);
      const resultOf = (r: ModelResponse, ref: ModelResponse['answerRef']): ModelResponse => ({
        ...r,
        ...(ref ? { message: { ...r.message, text: '' }, answerRef: ref } : {}),
        context: compactContextRecord(context),
        ...(summaries.length ? { summaries } : {}),
        ...(prior ? { billedRetries: prior } : {}),
        ...(answer.position !== undefined ? { conversationLength: answer.position + 1 } : {}),
        // The first attempt goes without: absent means 1 (history is written for each call).
        ...(input.live && ctx.info.attempt > 1 ? { attempt: ctx.info.attempt } : {}),
      });
      // Before anything is stored: an answer that cannot be handed back ends here, billed.
      checkResultSize(key, request.model.provider, resultOf(response, answer.ref), response.usage);
      breaker?.record(key, 'success');
      recordModelCall({ model: request.model, latencyMs: response.latencyMs, usage: response.usage });
      annotateModelSpan({ ...span, usage: response.usage, responseModel: response.modelVersion, stop: response.stop });
      const own = response;
      if (input.conversation && deps.store && answer.position !== undefined) {
        const [tokens] = conversations.countNew(tokenizer, [response.message]);
        response = await storeAnswer(
          deps.store,
          input.conversation.id,
          answer.position,
          response,
          fence,
          { runId, step },
          tokens,
        );
      }
      log.info('model call', {
        runId,
        step,
        model: key,
        attempt: ctx.info.attempt,
        inputTokens: response.usage.input,
        outputTokens: response.usage.output,
        cachedInputTokens: response.usage.cachedInput,
        cacheWriteTokens: response.usage.cacheWrite,
        latencyMs: response.latencyMs,
        stop: response.stop,
        ...(prior ? { billedRetryInputTokens: prior.input, billedRetryOutputTokens: prior.output } : {}),
      });
      // A losing attempt hands back the stored answer (see `storeAnswer`): decide its form anew.
      const result = resultOf(response, handBack(response, input, whole.messages.length, deps.store).ref);
      if (response !== own) othersAnswers.add(result);
      return result;
    } catch (err) {
      if (err instanceof NotSent) throw err.failure;
      if (!(err instanceof ApplicationFailure) && ctx.cancellationSignal.aborted) {
        // Cancelled (or the activity timed out): rethrow Temporal's CancelledFailure as is,
        // so the attempt completes as cancelled rather than as a provider failure.
        breaker?.release(key);
        if (ctx.cancellationDetails?.timedOut) recordModelFailure({ model: request.model, type: 'timeout' });
        throw err;
      }
      const failure =
        err instanceof ApplicationFailure ? err : toProviderFailure(err, request.model.provider, descriptor?.readError);
      if (failure.type === 'rate_limited') {
        // Not an outage: the provider is up and says when to come back. Hold this model's
        // next calls on this worker until then, rather than each earning its own 429.
        breaker?.release(key);
        pacer?.hold(key, retryAfterOf(failure) ?? DEFAULT_RATE_LIMIT_HOLD_MS);
      } else if (isBreakerFailure(failure.type)) {
        breaker?.record(key, 'failure', causeOf(failure));
      } else {
        breaker?.record(key, 'success');
      }
      const billed = billedOf(failure);
      const total = billed && prior ? addUsage(prior, billed) : (billed ?? prior);
      recordModelFailure({ model: request.model, type: failure.type ?? 'unknown', billed });
      annotateModelSpan({ ...span, failureType: failure.type ?? 'unknown', ...(billed ? { usage: billed } : {}) });
      // Sent with the failure (Temporal flushes the last heartbeat before reporting it) and
      // handed to the next attempt as `info.heartbeatDetails`.
      if (total) ctx.heartbeat(beatDetails(total));
      log.warn('model call failed', {
        runId,
        step,
        model: key,
        attempt: ctx.info.attempt,
        type: failure.type,
        ...(billed ? { billedInputTokens: billed.input, billedOutputTokens: billed.output } : {}),
      });
      throw withBilled(failure, total);
    } finally {
      await live?.close();
      lease?.release();
      stopHeartbeat();
    }
  });
  // The input as history carries it is unpacked before anything reads it; the context
  // record is packed after the trace is written (the trace keeps the whole record).
  return async function callModel(wire: CallModelWireInput): Promise<ModelResponse> {
    const startedAt = Date.now();
    const input = unpackCallModelInput(wire);
    const response = await traced(input);
    return withPackedContext(await withEarlyResults(input, response, startedAt), wire.contextBase);
  };

  /** The answer with the results of its calls that ran early (`deps.early`), run after the
   * model call is recorded (its trace, its stored answer), heartbeating as the call did. */
  async function withEarlyResults(input: CallModelInput, response: ModelResponse, startedAt: number) {
    const calls = response.message.toolCalls;
    if (!input.early || !deps.early || calls.length === 0) return response;
    // Another attempt's answer: that attempt ran its calls, or the workflow will.
    if (othersAnswers.has(response)) return response;
    if (response.stop === 'refusal' || response.stop === 'content_filter') return response;
    const ctx = Context.current();
    const timeLeftMs = attemptTimeLeftMs(ctx.info.startToCloseTimeoutMs, startedAt) ?? Infinity;
    const stopHeartbeat = startHeartbeat(ctx, () => heartbeatOf(input.step, response.billedRetries));
    try {
      const results = await deps.early(input, calls, ctx.cancellationSignal, timeLeftMs);
      return results.length ? { ...response, earlyResults: results } : response;
    } finally {
      stopHeartbeat();
    }
  }
}

/** Results handing back another attempt's stored answer (`storeAnswer`): such an attempt
 * may be the stale one, so it runs no tools early, and none writes over a result the winning
 * attempt stored. */
const othersAnswers = new WeakSet<ModelResponse>();

/** The response with its context record packed for history, when the call asked for it
 * (`CallModelInput.contextBase`) and the record packs losslessly. */
function withPackedContext(response: ModelResponse, contextBase: string | undefined): ModelResponse {
  if (contextBase === undefined || !response.context) return response;
  const packed = packContextRecord(response.context, contextBase || undefined);
  if (!packed) return response;
  const { context: _context, ...rest } = response;
  return { ...rest, packedContext: packed };
}

type PaceLease = Extract<PaceGrant, { ok: true }>;

/** A failure decided before anything was sent: passed through the provider-failure path
 * untouched (no breaker verdict, no billed usage of its own). */
class NotSent extends Error {
  readonly failure: ApplicationFailure;
  constructor(failure: ApplicationFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

/** The adapter serving `provider`, never one inherited from `Object.prototype` (a
 * provider id may be `constructor`). */
function adapterOf(adapters: ModelAdapters, provider: string): ModelAdapter | undefined {
  return Object.hasOwn(adapters, provider) ? adapters[provider] : undefined;
}

/**
 * The failure of a call to a provider this worker does not serve: non-retryable `auth`
 * (another attempt on this worker cannot help; a routing chain moves to its next model).
 * A provider the worker knows but is not configured is told how to configure it; an id the
 * worker does not know at all (a typo, a provider registered on other workers only) is named
 * as unknown (`code: 'unknown_provider'`). Both list what this worker does serve.
 */
function missingProvider(
  provider: string,
  descriptor: ProviderDescriptor | undefined,
  adapters: ModelAdapters,
  providers: readonly ProviderDescriptor[],
): ApplicationFailure {
  const configured = Object.keys(adapters).filter((id) => adapters[id]);
  const serves = `configured providers: ${configured.join(', ') || 'none'}`;
  if (descriptor) {
    return ApplicationFailure.create({
      type: 'auth',
      nonRetryable: true,
      message: `provider ${provider} is not configured on this worker (${configureHint(descriptor)}; ${serves})`,
      details: [{ provider } satisfies ProviderFailureDetails],
    });
  }
  const known = [...new Set([...providers.map((p) => p.id), ...configured])];
  return ApplicationFailure.create({
    type: 'auth',
    nonRetryable: true,
    message: `unknown provider "${provider}": this worker knows ${known.join(', ') || 'none'} (${serves})`,
    details: [{ provider, code: 'unknown_provider' } satisfies ProviderFailureDetails],
  });
}

/**
 * The request as the provider must see it: the stored conversation (after appending this
 * step's new messages) and the pinned prompt text, when the run sends them by reference.
 */
async function materialize(
  input: CallModelInput,
  store: RunStore | undefined,
  fence: WriteFence,
  conversations: ConversationCache,
  contents: ContentMemo,
  tokenizer: Tokenizer,
): Promise<{ request: ModelRequest; loaded?: LoadedConversation }> {
  if (!input.conversation && !input.prompt && !input.toolsRef) return { request: input.request };
  if (!store) {
    throw ApplicationFailure.create({
      type: 'internal',
      nonRetryable: true,
      message: 'this worker has no run store; it cannot serve runs that keep content by reference',
    });
  }
  let system = input.request.system;
  if (input.prompt) system = await promptText(input, input.prompt, store, contents);
  let messages = input.request.messages;
  let loaded: LoadedConversation | undefined;
  if (input.conversation) {
    const { id, storedLength, append } = input.conversation;
    if (append.length) {
      let whole: Message[];
      try {
        whole = await withContent(store, append);
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err; // typed already (store_unavailable: retried)
        throw ApplicationFailure.create({ type: 'internal', nonRetryable: true, message: (err as Error).message });
      }
      // Counted once, here, and stored with them: no later call counts them again.
      await store.putMessages(id, storedLength, whole, fence, conversations.countNew(tokenizer, whole));
    }
    try {
      loaded = await conversations.load(store, id, storedLength + append.length);
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err; // typed already (store_unavailable: retried)
      throw ApplicationFailure.create({ type: 'internal', nonRetryable: true, message: (err as Error).message });
    }
    messages = loaded.messages;
  }
  return {
    request: { ...input.request, system, messages, tools: await toolsOf(input, store, contents) },
    ...(loaded ? { loaded } : {}),
  };
}

/** The request's tool definitions: as sent (and then stored under `toolsRef` for the calls
 * after it), or read from the store when the call sent only the reference. Either is done
 * once per worker (`ContentMemo`): the key is the definitions' hash. */
async function toolsOf(input: CallModelInput, store: RunStore, contents: ContentMemo): Promise<ModelRequest['tools']> {
  const { toolsRef } = input;
  if (!toolsRef) return input.request.tools;
  const known = contents.get<ModelRequest['tools']>(toolsRef);
  if (input.request.tools.length) {
    if (!known) {
      const text = JSON.stringify(input.request.tools);
      await store.putContent(toolsRef, text);
      contents.set(toolsRef, input.request.tools, text.length);
    }
    return input.request.tools;
  }
  if (known) return known;
  try {
    const text = await store.getContent(toolsRef);
    const tools = z.array(toolSpecSchema).parse(JSON.parse(text));
    contents.set(toolsRef, tools, text.length);
    return tools;
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err; // typed already (store_unavailable: retried)
    throw ApplicationFailure.create({
      type: 'internal',
      nonRetryable: true,
      message: `the run's tool definitions (${toolsRef}) are missing from the run store: ${(err as Error).message}`,
    });
  }
}

/** The pinned prompt's text: as the first call sends it (checked against the pin, then
 * stored), or from the store. Either is done once per worker (`ContentMemo`). */
async function promptText(
  input: CallModelInput,
  pin: PromptPin,
  store: RunStore,
  contents: ContentMemo,
): Promise<string> {
  const key = `prompt/${pin.hash}`;
  const known = contents.get<string>(key);
  if (input.promptContent !== undefined) {
    if (input.promptContent === known) return known;
    if (promptHash(input.promptContent) !== pin.hash) {
      throw ApplicationFailure.create({
        type: 'internal',
        nonRetryable: true,
        message: `prompt ${pin.name}: the text sent does not match its pinned hash ${pin.hash.slice(0, 12)}`,
      });
    }
    await store.putPrompt({ name: pin.name, content: input.promptContent });
    contents.set(key, input.promptContent, input.promptContent.length);
    return input.promptContent;
  }
  if (known !== undefined) return known;
  const prompt = await store.getPrompt(pin.hash);
  if (!prompt) {
    throw ApplicationFailure.create({
      type: 'internal',
      nonRetryable: true,
      message: `prompt ${pin.name}@${pin.hash.slice(0, 12)} is missing from the run store`,
    });
  }
  contents.set(key, prompt.content, prompt.content.length);
  return prompt.content;
}

/** Tool results sent by reference get their whole content back from the store, so the
 * stored conversation holds what the model is sent. */
async function withContent(store: RunStore, messages: Message[]): Promise<Message[]> {
  if (!messages.some((m) => m.role === 'tool' && m.results.some((r) => r.ref))) return messages;
  return Promise.all(
    messages.map(async (m) =>
      m.role !== 'tool'
        ? m
        : {
            ...m,
            results: await Promise.all(
              m.results.map(async ({ ref, ...r }) => (ref ? { ...r, content: await store.getContent(ref) } : r)),
            ),
          },
    ),
  );
}

/** The billed usage an earlier attempt left in its heartbeat details, if any. */
function billedFrom(details: unknown): Usage | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const parsed = usageSchema.safeParse((details as { billed?: unknown }).billed);
  return parsed.success ? parsed.data : undefined;
}

/** The usage a failure says the provider billed (`details[0].billedUsage`). */
function billedOf(failure: ApplicationFailure): Usage | undefined {
  const first = failure.details?.[0];
  if (typeof first !== 'object' || first === null) return undefined;
  const parsed = usageSchema.safeParse((first as { billedUsage?: unknown }).billedUsage);
  return parsed.success ? parsed.data : undefined;
}

/** The failure with `details[0].billedUsage` set to `billed` (the sum over attempts). */
function withBilled(failure: ApplicationFailure, billed: Usage | undefined): ApplicationFailure {
  if (!billed) return failure;
  const [first, ...rest] = failure.details ?? [];
  const base = typeof first === 'object' && first !== null ? first : {};
  return ApplicationFailure.create({
    type: failure.type ?? undefined,
    message: failure.message,
    nonRetryable: failure.nonRetryable ?? undefined,
    details: [{ ...base, billedUsage: billed }, ...rest],
    ...(failure.nextRetryDelay !== undefined ? { nextRetryDelay: failure.nextRetryDelay } : {}),
    ...(failure.category !== undefined && failure.category !== null ? { category: failure.category } : {}),
  });
}

const SUMMARY_SYSTEM =
  "You compress the earlier part of an AI agent's conversation so it can continue with less context. " +
  'Keep facts, numbers, ids, tool results and decisions later steps may need; drop chatter. At most 200 words.';
const SUMMARY_MAX_OUTPUT_TOKENS = 400;

/** When history no longer fits, it is summarized down to this share of the budget, so the
 * next summary is due only after the conversation has grown by the rest (many steps), not
 * on every step once the window is full. */
export const SUMMARY_LOW_WATER = 0.55;
/** Summarizer calls at most per model call (more when the turns to summarize do not fit the
 * summarizer's own window in one). */
const SUMMARY_MAX_ROUNDS = 4;
/** Share of the summarizer's window its turns may take (its tokenizer may count more). */
const SUMMARY_INPUT_SHARE = 0.7;

/**
 * Packs the request into the model's window; when older turns no longer fit and the run
 * named a summarizer, the oldest turns are summarized (incrementally: the stored summary
 * plus the newly summarized turns) by that model and the summary is sent in their place.
 * With hysteresis: the turns summarized are those that take the request down to
 * `SUMMARY_LOW_WATER` of the budget, not just the few that overflow it, so a run summarizes
 * once every many steps. A summary is stored with the conversation, so the next steps (on
 * any worker) reuse it; a summarizer that fails only costs the summary (the turns are then
 * dropped, as without one).
 *
 * With a loaded conversation (`loaded`), messages are measured once per worker and token
 * counts come from the store, so packing costs what the new messages cost.
 */
async function assembleWithSummaries(
  whole: ModelRequest,
  input: CallModelInput,
  adapters: ModelAdapters,
  store: RunStore | undefined,
  tokenizer: Tokenizer,
  loaded: LoadedConversation | undefined,
) {
  const summaries: NonNullable<ModelResponse['summaries']> = [];
  const measure = loaded?.measurer(tokenizer);
  const options = { ...(loaded ? { counter: loaded.counter(tokenizer) } : {}), ...(measure ? { measure } : {}) };
  const pack = (summary: { upTo: number; text: string } | undefined, fill?: number) =>
    assembleRequest(whole, summary, undefined, { ...options, counter: options.counter ?? tokenizer, fill });
  const conversation = input.conversation;
  const summarizer = input.summarizer ? adapterOf(adapters, input.summarizer.provider) : undefined;
  if (!conversation || !store || !summarizer || !input.summarizer) {
    const assembled = pack(undefined);
    await flushCounts(loaded, input.step);
    return { ...assembled, summaries };
  }
  let summary = await store.getSummary(conversation.id);
  let assembled = pack(summary);
  const inputBudget = Math.floor((contextWindowOf(input.summarizer) - SUMMARY_MAX_OUTPUT_TOKENS) * SUMMARY_INPUT_SHARE);
  // Summarize only when turns no longer fit, and then down to the low-water mark.
  const target =
    assembled.droppedUpTo > (summary?.upTo ?? 1)
      ? Math.max(assembled.droppedUpTo, pack(summary, SUMMARY_LOW_WATER).droppedUpTo)
      : 0;
  for (let round = 0; round < SUMMARY_MAX_ROUNDS && (summary?.upTo ?? 1) < target; round++) {
    const from = summary?.upTo ?? 1;
    const upTo = chunkEnd(whole.messages, from, target, inputBudget - tokenizer.count(summary?.text ?? ''), measure);
    const turns = whole.messages.slice(from, upTo);
    try {
      const made = await summarizer.call(
        {
          model: input.summarizer,
          system: SUMMARY_SYSTEM,
          messages: [
            {
              role: 'user',
              content: `${summary ? `Summary so far:\n${summary.text}\n\n` : ''}Turns to add:\n${JSON.stringify(turns)}`,
            },
          ],
          tools: [],
          maxOutputTokens: SUMMARY_MAX_OUTPUT_TOKENS,
        },
        { timeoutMs: input.timeoutMs, signal: Context.current().cancellationSignal },
      );
      summaries.push({ model: input.summarizer, usage: made.usage, latencyMs: made.latencyMs });
      summary = { upTo, text: made.message.text };
      await store.putSummary(conversation.id, summary.upTo, summary.text);
      assembled = pack(summary);
    } catch (err) {
      log.warn('history summary failed; dropping the turns instead', {
        step: input.step,
        model: describeModel(input.summarizer),
        error: (err as Error)?.name,
      });
      break;
    }
  }
  await flushCounts(loaded, input.step);
  return { ...assembled, summaries };
}

/**
 * Where one summarizer call's turns end: `target`, or earlier when the turns from `from`
 * would not fit `budget` tokens (at least one message, and never ending inside a turn when
 * that can be helped: the kept history then starts with an assistant or user message).
 */
function chunkEnd(
  messages: readonly Message[],
  from: number,
  target: number,
  budget: number,
  measure: ((m: Message) => { tokens: number; parts: readonly { omitted: number }[] } | undefined) | undefined,
): number {
  if (!measure) return target;
  let used = 0;
  let end = from;
  while (end < target) {
    const m = measure(messages[end]!);
    // Tokens as the summarizer gets them: whole, not cut.
    const tokens = m ? m.tokens + m.parts.reduce((n, p) => n + p.omitted, 0) : 0;
    if (end > from && used + tokens > budget) break;
    used += tokens;
    end += 1;
  }
  if (end === target) return end;
  let snapped = end;
  while (snapped > from + 1 && messages[snapped]?.role === 'tool') snapped -= 1;
  return snapped;
}

/** Stores the token counts made while packing; they only save work, so a failure to store
 * them is logged, never fatal. */
async function flushCounts(loaded: LoadedConversation | undefined, step: number): Promise<void> {
  try {
    await loaded?.flush();
  } catch (err) {
    log.warn('token counts not stored', { step, error: (err as Error)?.message });
  }
}
