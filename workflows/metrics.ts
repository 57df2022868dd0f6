/**
 * Bosun's workflow-side metrics: the decisions only the workflow makes (escalations, tool
 * denials, model fallbacks, output validation, the cost of each call at the agent's prices).
 *
 * They use the workflow `metricMeter`, which is replay-safe: a value is emitted when the
 * workflow code first runs, never again when a worker replays the history. The worker adds
 * `namespace`, `task_queue` and `workflow_type` tags. A metric must never fail a workflow
 * task, so every function swallows its own errors (and ignores negative or non-finite
 * values, which the SDK would throw on).
 *
 * @example
 * countEscalation('invalid_output');          // bosun_escalations{reason="invalid_output"} += 1
 * countFallback('openai/gpt-4.1', 'anthropic/claude-sonnet-4-5');
 * recordModelCost('openai/gpt-4.1-mini', 0.000072); // bosun_model_cost_usd (histogram, USD)
 */
import type { MetricMeter } from '@temporalio/common';
import { metricMeter } from '@temporalio/workflow';

/** The metric names, as Prometheus shows them. */
export const workflowMetricNames = {
  escalations: 'bosun_escalations',
  toolDenials: 'bosun_tool_denials',
  fallbacks: 'bosun_fallbacks',
  outputValidations: 'bosun_output_validations',
  modelCost: 'bosun_model_cost_usd',
} as const;

/**
 * Buckets for `bosun_model_cost_usd` (USD per call). Core counters take integers only, so
 * cost is a float histogram: `bosun_model_cost_usd_sum` is the exact total in USD,
 * `_count` the number of priced calls.
 */
export const modelCostBucketsUsd = [0.00001, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

function add(meter: MetricMeter, name: string, description: string, tags: Record<string, string>): void {
  try {
    meter.createCounter(name, '1', description).add(1, tags);
  } catch {
    // Never fail a workflow task for a metric.
  }
}

/** A run handed to a human or ended as escalated, by reason (`invalid_output`, `refused`, ...). */
export function countEscalation(reason: string, meter: MetricMeter = metricMeter): void {
  add(meter, workflowMetricNames.escalations, 'Escalations to a human, by reason', { reason });
}

/** A tool call the workflow refused (scope, constraint, or a human said no), by tool. */
export function countToolDenial(tool: string, meter: MetricMeter = metricMeter): void {
  add(meter, workflowMetricNames.toolDenials, 'Tool calls denied by policy or by a human, by tool', { tool });
}

/** A model call that moved down the fallback chain, from one model to the next. */
export function countFallback(from: string, to: string, meter: MetricMeter = metricMeter): void {
  add(meter, workflowMetricNames.fallbacks, 'Model fallbacks, by the model given up and the one used next', {
    from,
    to,
  });
}

/** A settled output validation, by output schema name and result (`initial`, `repaired`, `escalated`). */
export function countValidation(schema: string, result: string, meter: MetricMeter = metricMeter): void {
  add(meter, workflowMetricNames.outputValidations, 'Structured output validations, by schema and result', {
    schema,
    result,
  });
}

/** The cost of one model call in USD at the agent's prices, by model (`provider/name`). */
export function recordModelCost(model: string, usd: number, meter: MetricMeter = metricMeter): void {
  if (!Number.isFinite(usd) || usd < 0) return;
  try {
    meter
      .createHistogram(
        workflowMetricNames.modelCost,
        'float',
        'USD',
        'Cost of model calls in USD at the agent prices, by model',
      )
      .record(usd, { model });
  } catch {
    // Never fail a workflow task for a metric.
  }
}
