import { isCancellation } from '@temporalio/workflow';
import { causeChain } from '../core/cause-chain.ts';
import type { CallRecord } from '../core/calls.ts';
import type { Failure } from '../core/failures.ts';
import type { CallTotals } from '../core/carried-state.ts';
import { describeModel, type ModelRef, type ModelRequest, type ModelResponse } from '../core/model.ts';
import { estimateTokens } from '../core/budgets.ts';
import { costOf, defaultPrices, worstCaseCost, type Price } from '../core/pricing.ts';
import type { ModelConfig } from '../core/run.ts';
import {
  chooseRoute,
  nextAfterFailure,
  singleModelRouting,
  type ModelTier,
  type Route,
  type RoutingTable,
  type TaskClass,
} from '../core/routing.ts';
import { addUsage, usageSchema, zeroUsage, type Usage } from '../core/usage.ts';
import type { EarlyTools, PromptPin } from '../core/activity-contracts.ts';
import type { Conversation } from './conversation.ts';
import type { Message, ToolSpec } from '../core/messages.ts';
import { canonicalJson, sha256Hex } from '../tools/fingerprint.ts';
import { countFallback, recordModelCost } from './metrics.ts';
import { failureFromError, make } from './failures.ts';
import { callModelActivity } from './activities.ts';
import { createContextBases } from '../core/context-pack.ts';
import { packCallModelInput } from '../core/call-model-wire.ts';
import type { RunEvents } from './run-events.ts';

export type { CallTotals } from '../core/carried-state.ts';

/** A model request before routing fills in the model and the conversation its messages. */
export type UnroutedRequest = Omit<ModelRequest, 'model' | 'messages'>;

export interface RoutedCall {
  step: number;
  taskClass: TaskClass;
  /** Why this class, for the record (`first step`). */
  why: string;
  purpose: CallRecord['purpose'];
  request: UnroutedRequest;
  /** Sent by reference; committed with the answer when the call succeeds. `{ inline }`: a
   * side call outside the run's conversation (the step classifier), its few messages sent
   * by value and nothing committed. */
  conversation: Conversation | { inline: Message[] };
  /** The pinned prompt version; the activity reads its text from the run store. */
  prompt: PromptPin;
  /** Route to a tier directly instead of by class (the output ladder's stronger model). */
  tier?: ModelTier;
  /** Tools whose calls the activity may run as soon as the answer asks for them
   * (`earlyTools`); their results come back in `ModelResponse.earlyResults`. */
  early?: EarlyTools;
}

export type RoutedResult =
  | { kind: 'ok'; response: ModelResponse; model: ModelRef; record: CallRecord }
  | { kind: 'refused_by_budget'; reason: string }
  | { kind: 'escalate'; reason: string; failure: Failure }
  | { kind: 'failed'; failure: Failure };

/**
 * Routes each call to a model, walks the route's fallback chain when a model fails for
 * good, and records every call (including failed ones and their billed usage). Each model
 * in a chain is its own activity, visible in history; Temporal retries within a model.
 */
export function createModelCaller(opts: {
  runId: string;
  config: ModelConfig;
  totals: CallTotals;
  onCall?: (event: { phase: 'start' | 'end'; model: string; record?: CallRecord }) => void;
  /** The version of the tool set every call offers, recorded on each. */
  toolset?: string;
  /** Chunks retrieved for the run: recorded on every call whose context holds them. */
  retrieved?: () => { indexVersion: string; ids: string[] } | undefined;
  /** Asked before each model call with its worst-case cost; a reason refuses the call. */
  reserve?: (worstCaseUsd: number | undefined, model: ModelRef) => string | undefined;
  /** The run's live event log: each call's start and end (and, with `stream`, the answer's
   * pieces as the provider streams them). */
  events?: RunEvents;
  stream?: boolean;
}) {
  const { runId, config, totals } = opts;
  const routing: RoutingTable = config.routing ?? singleModelRouting(config.model!);
  /** A call to one model with the route's attempts, and a summary that reads well in the UI
   * (`gpt-4.1 · step 3 · plan`). */
  const callModelWith = (attempts: number, summary: string) => callModelActivity(config.timeouts, attempts, summary);

  const priceOf = (model: ModelRef): Price | undefined => config.prices?.[model.name] ?? defaultPrices[model.name];
  // Who summarizes history that no longer fits: the model the `rewrite` class routes to.
  const summaryRoute = chooseRoute(routing, 'rewrite');
  const summarizer = config.summarizeHistory !== false ? summaryRoute.route.chain[0] : undefined;

  const record = (r: Omit<CallRecord, 'seq' | 'costUsd' | 'priceAsOf'>, model: ModelRef): CallRecord => {
    const price = priceOf(model);
    const retrieved = opts.retrieved?.();
    const rec: CallRecord = {
      ...r,
      ...(retrieved ? { retrieved } : {}),
      // Numbered after the last record kept: records are trimmed (and fewer carried across
      // continue-as-new), so their count would repeat numbers.
      seq: (totals.calls.at(-1)?.seq ?? 0) + 1,
      costUsd: price ? costOf(r.usage, price) : null,
      ...(price ? { priceAsOf: price.asOf } : {}),
    };
    totals.calls.push(rec);
    if (rec.costUsd !== null) recordModelCost(describeModel(model), rec.costUsd);
    totals.usage = addUsage(totals.usage, rec.usage);
    if (rec.costUsd === null) totals.unpricedCalls++;
    else totals.costUsd = Math.round((totals.costUsd + rec.costUsd) * 1e9) / 1e9;
    return rec;
  };

  /** Tool sets a completed call of this execution stored in the run store. */
  const toolsStored = new Set<string>();
  const toolsKeys = new WeakMap<readonly ToolSpec[], string>();
  const toolsKey = (tools: readonly ToolSpec[]): string => {
    let key = toolsKeys.get(tools);
    if (!key) toolsKeys.set(tools, (key = `tools/${sha256Hex(canonicalJson(tools))}`));
    return key;
  };
  /** The activity's request: tool definitions by value until a call has stored them, then by
   * reference (`CallModelInput.toolsRef`). */
  const requestFor = (request: UnroutedRequest, model: ModelRef, prompt: PromptPin, messages: Message[] = []) => {
    const sent = { ...request, system: '', model, messages };
    const text = unstoredPrompts.get(prompt.hash);
    const withPrompt = text !== undefined ? { promptContent: text } : {};
    if (!request.tools.length) return { request: sent, ...withPrompt };
    const key = toolsKey(request.tools);
    return { request: toolsStored.has(key) ? { ...sent, tools: [] } : sent, toolsRef: key, ...withPrompt };
  };
  /** Context records come packed (`core/context-pack.ts`): the bases they leave out. */
  const contextBases = createContextBases();
  /** Prompt texts pinned in the workflow (inline instructions) that no call has stored yet. */
  const unstoredPrompts = new Map<string, string>();

  async function call(c: RoutedCall): Promise<RoutedResult> {
    const choice = chooseRoute(routing, c.taskClass);
    const route: Route = c.tier && routing.tiers[c.tier] ? routing.tiers[c.tier]! : choice.route;
    const tier = c.tier && routing.tiers[c.tier] ? c.tier : choice.tier;
    const routeReason = c.tier ? `${c.purpose} → ${tier} tier` : `${choice.reason}; ${c.why}`;
    let index = 0;
    let fallback: { from: string; reason: string } | undefined;
    for (;;) {
      const model = route.chain[index]!;
      const label = describeModel(model);
      const base = {
        step: c.step,
        purpose: c.purpose,
        taskClass: c.taskClass,
        tier,
        routeReason,
        model: label,
        ...(fallback ? { fallbackFrom: fallback.from, fallbackReason: fallback.reason } : {}),
      };
      const inline = 'inline' in c.conversation ? c.conversation.inline : undefined;
      const chars = inline ? JSON.stringify(inline).length : (c.conversation as Conversation).chars;
      const refusal = opts.reserve?.(worstCase(model, c.request, chars), model);
      if (refusal) return { kind: 'refused_by_budget', reason: refusal };
      opts.onCall?.({ phase: 'start', model: label });
      const live = opts.events?.modelStarted(label, c.purpose);
      let failure: Failure;
      const contextSlot = inline ? `${label} inline` : label;
      try {
        const sent = inline ? undefined : (c.conversation as Conversation).forCall();
        const summary = `${model.name} · step ${c.step} · ${c.purpose === 'step' || c.purpose === 'task' ? c.taskClass : c.purpose.replace('_', ' ')}${fallback ? ' · fallback' : ''}`;
        const response = await callModelWith(
          route.attemptsPerModel,
          summary,
        )(
          packCallModelInput({
            runId,
            step: c.step,
            timeoutMs: config.timeouts.modelCallMs,
            ...requestFor(c.request, model, c.prompt, inline),
            ...(sent ? { conversation: sent } : {}),
            prompt: c.prompt,
            ...(summarizer ? { summarizer } : {}),
            ...(live && opts.stream ? { live: { call: live } } : {}),
            contextBase: contextBases.keyFor(contextSlot),
            ...(c.early ? { early: c.early } : {}),
          }),
        );
        const context =
          response.context ??
          (response.packedContext ? contextBases.expand(contextSlot, response.packedContext) : undefined);
        for (const s of response.summaries ?? []) {
          record(
            {
              step: c.step,
              purpose: 'summary',
              taskClass: 'rewrite',
              tier: summaryRoute.tier,
              routeReason: `history summary for ${label}; ${summaryRoute.reason}`,
              model: describeModel(s.model),
              outcome: 'ok',
              usage: s.usage,
              latencyMs: s.latencyMs,
            },
            s.model,
          );
        }
        const usage = response.billedRetries ? addUsage(response.usage, response.billedRetries) : response.usage;
        const refused = response.stop === 'refusal' || response.stop === 'content_filter';
        const rec = record(
          {
            ...base,
            answeredBy: response.modelVersion,
            outcome: refused ? 'refused' : 'ok',
            stop: response.stop,
            usage,
            latencyMs: response.latencyMs,
            ...(response.requestId ? { requestId: response.requestId } : {}),
            prompt: `${c.prompt.name}@${c.prompt.hash.slice(0, 12)}`,
            ...(opts.toolset && c.request.tools.length ? { tools: opts.toolset } : {}),
            ...(context ? { context } : {}),
          },
          model,
        );
        opts.onCall?.({ phase: 'end', model: label, record: rec });
        opts.events?.modelFinished({
          ...(response.attempt ? { attempt: response.attempt } : {}),
          model: label,
          outcome: rec.outcome,
          ...(response.message.text ? { text: response.message.text } : {}),
          ...(response.message.toolCalls.length ? { toolCalls: response.message.toolCalls.map((t) => t.name) } : {}),
          inputTokens: usage.input,
          outputTokens: usage.output,
          costUsd: rec.costUsd,
          latencyMs: response.latencyMs,
        });
        toolsStored.add(toolsKey(c.request.tools));
        unstoredPrompts.delete(c.prompt.hash);
        if (!refused) {
          if (!inline) (c.conversation as Conversation).commit(response.message, response.conversationLength);
          return { kind: 'ok', response, model, record: rec };
        }
        failure = make(
          'refused',
          `${label} ${response.stop === 'refusal' ? 'refused to answer' : 'output was blocked by a content filter'}`,
        );
      } catch (err) {
        if (isCancellation(err)) throw err;
        failure = failureFromError(err);
        const rec = record({ ...base, outcome: failure.type, usage: billedUsageOf(err) }, model);
        opts.onCall?.({ phase: 'end', model: label, record: rec });
        opts.events?.modelFinished({
          model: label,
          outcome: failure.type,
          text: failure.message,
          inputTokens: rec.usage.input,
          outputTokens: rec.usage.output,
          costUsd: rec.costUsd,
        });
      }
      const next = nextAfterFailure(route, index, failure.type);
      if (next.kind === 'escalate') return { kind: 'escalate', reason: next.reason, failure };
      if (next.kind === 'fail') return { kind: 'failed', failure };
      countFallback(label, describeModel(route.chain[next.index]!));
      fallback = { from: label, reason: next.reason };
      index = next.index;
    }
  }

  /** The most this call can cost on `model`: the whole request at the dearer input rate
   * (estimated at 3 characters a token) plus the output cap. Undefined when unpriced. */
  function worstCase(model: ModelRef, request: UnroutedRequest, conversationChars: number): number | undefined {
    const price = priceOf(model);
    if (!price) return undefined;
    const inputTokens =
      estimateTokens(JSON.stringify([request.system, request.tools, request.output ?? null])) +
      Math.ceil(conversationChars / 3);
    return worstCaseCost(inputTokens, request.maxOutputTokens, price);
  }

  /** A prompt pinned in the workflow, whose text the next call must store
   * (`pinPrompt`'s `content`). */
  const knowPrompt = (pin: PromptPin, content: string) => void unstoredPrompts.set(pin.hash, content);

  /** The most the next call of `taskClass` can cost with `extraChars` more conversation (a
   * delegating step keeps room for it before carving its children's budgets). */
  const worstCaseFor = (taskClass: TaskClass, request: UnroutedRequest, conversationChars: number) =>
    worstCase(chooseRoute(routing, taskClass).route.chain[0]!, request, conversationChars);

  return { knowPrompt, call, routing, worstCaseFor };
}

export function emptyTotals(): CallTotals {
  return { usage: { ...zeroUsage }, costUsd: 0, unpricedCalls: 0, calls: [] };
}

/** Usage a failed call was billed for, carried in the failure details by `callModel`. */
function billedUsageOf(err: unknown): Usage {
  for (const e of causeChain(err)) {
    const details = Array.isArray(e.details) ? (e.details[0] as { billedUsage?: unknown } | undefined) : undefined;
    const parsed = usageSchema.safeParse(details?.billedUsage);
    if (parsed.success) return parsed.data;
  }
  return { ...zeroUsage };
}
