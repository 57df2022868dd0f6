/**
 * Bosun's activity-side metrics and span attributes. They go through the activity's
 * `metricMeter`, i.e. the Temporal Runtime's meter, so the worker's one Prometheus endpoint
 * serves them beside Temporal's own (with `namespace`, `task_queue` and `activity_type`
 * tags added by the worker). Without a metrics exporter the meter is a no-op.
 *
 * Telemetry must never fail a call: every function here swallows its own errors.
 *
 * @example
 * recordModelCall({ model: { provider: 'openai', name: 'gpt-4.1-mini' }, latencyMs: 812, usage });
 * // bosun_model_latency{model="openai/gpt-4.1-mini"} and bosun_model_tokens{model,kind}
 */
import { Context } from '@temporalio/activity';
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { trace, type Attributes } from '@opentelemetry/api';
import type { PromptPin } from '../core/activity-contracts.ts';
import { describeModel, type ModelRef, type StopReason } from '../core/model.ts';
import type { Usage } from '../core/usage.ts';

/** The metric names, as Prometheus shows them (no prefix, no suffix is added). */
export const activityMetricNames = {
  modelLatency: 'bosun_model_latency',
  modelTokens: 'bosun_model_tokens',
  modelTimeouts: 'bosun_model_timeouts',
  modelFailures: 'bosun_model_failures',
  toolCalls: 'bosun_tool_calls',
} as const;

/** Buckets for `bosun_model_latency` (ms): model calls take from ~100 ms to minutes. */
export const modelLatencyBucketsMs = [
  50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 20_000, 40_000, 60_000, 120_000, 300_000,
];

/** `kind` label of `bosun_model_tokens`. `input` includes the cached and cache-write tokens. */
export type TokenKind = 'input' | 'output' | 'cached' | 'cache_write';

/** `outcome` label of `bosun_tool_calls`. */
export type ToolCallOutcome =
  'ok' | 'failed' | 'unavailable' | 'denied' | 'invalid_input' | 'unknown_tool' | 'cancelled';

/** The activity's meter, or a no-op one outside an activity. */
function activityMeter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined;
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A metric that cannot be recorded is not worth a failed model call.
  }
}

const count = (n: number) => (Number.isFinite(n) && n > 0 ? Math.round(n) : 0);

/**
 * A successful model call: its latency and the tokens the provider reported, by model.
 * Usage of earlier failed-but-billed attempts is not included (`recordModelFailure` counted
 * it when that attempt failed).
 */
export function recordModelCall(
  call: { model: ModelRef; latencyMs: number; usage: Usage },
  meter = activityMeter(),
): void {
  if (!meter) return;
  const model = describeModel(call.model);
  safely(() => {
    meter
      .createHistogram(
        activityMetricNames.modelLatency,
        'int',
        'ms',
        'Model call latency (one provider request), by model',
      )
      .record(count(call.latencyMs), { model });
  });
  recordTokens(model, call.usage, meter);
}

/**
 * A failed model call attempt, by model and failure type (`rate_limited`, `timeout`, ...).
 * Timeouts are also counted in `bosun_model_timeouts`; `billed` is the usage the provider
 * billed for this failed attempt, if it said so.
 */
export function recordModelFailure(
  failure: { model: ModelRef; type: string; billed?: Usage | undefined },
  meter = activityMeter(),
): void {
  if (!meter) return;
  const model = describeModel(failure.model);
  safely(() => {
    meter
      .createCounter(activityMetricNames.modelFailures, '1', 'Failed model call attempts, by model and failure type')
      .add(1, { model, type: failure.type });
    if (failure.type === 'timeout') {
      meter
        .createCounter(activityMetricNames.modelTimeouts, '1', 'Model call attempts that timed out, by model')
        .add(1, { model });
    }
  });
  if (failure.billed) recordTokens(model, failure.billed, meter);
}

function recordTokens(model: string, usage: Usage, meter: MetricMeter): void {
  safely(() => {
    const tokens = meter.createCounter(
      activityMetricNames.modelTokens,
      'tokens',
      'Tokens billed by providers, by model and kind',
    );
    const add = (kind: TokenKind, n: number | undefined) => {
      const value = count(n ?? 0);
      if (value > 0 || kind === 'input' || kind === 'output') tokens.add(value, { model, kind } satisfies MetricTags);
    };
    add('input', usage.input);
    add('output', usage.output);
    add('cached', usage.cachedInput);
    add('cache_write', usage.cacheWrite);
  });
}

/** One `executeTool` attempt, by tool and outcome. */
export function recordToolCall(call: { tool: string; outcome: ToolCallOutcome }, meter = activityMeter()): void {
  if (!meter) return;
  safely(() => {
    meter
      .createCounter(activityMetricNames.toolCalls, '1', 'Tool call attempts, by tool and outcome')
      .add(1, { tool: call.tool, outcome: call.outcome });
  });
}

/** The `outcome` of a tool call that failed with this failure type. */
export function toolOutcomeOf(failureType: string | undefined | null): ToolCallOutcome {
  switch (failureType) {
    case 'permission_denied':
      return 'denied';
    case 'tool_input_invalid':
      return 'invalid_input';
    case 'unknown_tool':
      return 'unknown_tool';
    case 'tool_unavailable':
      return 'unavailable';
    default:
      return 'failed';
  }
}

/**
 * OpenTelemetry GenAI attributes on the active span — the `RunActivity:callModel` span of
 * `@temporalio/interceptors-opentelemetry` when tracing is on; nothing otherwise. Only
 * names and counts, never prompt or completion text.
 */
export function annotateModelSpan(call: {
  model: ModelRef;
  runId: string;
  step: number;
  prompt?: PromptPin | undefined;
  usage?: Usage;
  responseModel?: string;
  stop?: StopReason;
  failureType?: string;
}): void {
  safely(() => {
    const span = trace.getActiveSpan();
    if (!span) return;
    const attrs: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': call.model.provider,
      'gen_ai.request.model': call.model.name,
      'bosun.run_id': call.runId,
      'bosun.step': call.step,
    };
    if (call.prompt) {
      attrs['bosun.prompt.name'] = call.prompt.name;
      attrs['bosun.prompt.version'] = call.prompt.hash;
      if (call.prompt.label) attrs['bosun.prompt.label'] = call.prompt.label;
    }
    if (call.usage) {
      attrs['gen_ai.usage.input_tokens'] = call.usage.input;
      attrs['gen_ai.usage.output_tokens'] = call.usage.output;
      attrs['bosun.usage.cached_input_tokens'] = call.usage.cachedInput;
    }
    if (call.responseModel) attrs['gen_ai.response.model'] = call.responseModel;
    if (call.stop) attrs['gen_ai.response.finish_reasons'] = [call.stop];
    if (call.failureType) attrs['error.type'] = call.failureType;
    span.setAttributes(attrs);
  });
}

/** OpenTelemetry attributes on the active `RunActivity:executeTool` span, when tracing is on. */
export function annotateToolSpan(call: {
  tool: string;
  runId: string;
  step: number;
  callId: string;
  outcome?: ToolCallOutcome;
}): void {
  safely(() => {
    const span = trace.getActiveSpan();
    if (!span) return;
    span.setAttributes({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': call.tool,
      'gen_ai.tool.call.id': call.callId,
      'bosun.run_id': call.runId,
      'bosun.step': call.step,
      ...(call.outcome ? { 'bosun.tool.outcome': call.outcome } : {}),
    });
  });
}

/** Runs `fn` in a span of its own, a child of the active one: a tool call that runs inside
 * another activity (an early result, inside `callModel`) is annotated there, not on the
 * model call's span. A no-op span when tracing is off. */
export function inToolSpan<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return trace.getTracer('bosun').startActiveSpan(name, async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}
