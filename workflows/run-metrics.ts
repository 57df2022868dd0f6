/**
 * Per-run metrics, emitted once when a run ends (`finish` in `agent-run.ts`, and the
 * rejected-input path): operators get the business figures from Prometheus without a
 * client. Names, labels and buckets are in `core/run-metrics.ts`; the definitions in
 * `docs/metrics.md`.
 *
 * The workflow `metricMeter` is replay-safe (nothing is emitted again when a worker replays
 * the history), and the worker adds `namespace`, `taskQueue` and `workflowType` tags. A
 * continue-as-new is not an end: only the last run of a chain emits. A metric must never
 * fail a workflow task, so every record swallows its own errors and skips values the SDK
 * would throw on (negative, non-finite).
 *
 * @example
 * recordRunEnd({ agent: 'support', outcome, costUsd: 0.0031, steps: 3, escalations: 0,
 *   latencyMs: 4_210, humanWaitMs: 0, humanTimeouts: 0 });
 * // bosun_runs{agent="support",outcome="completed",answered_by="model",...} += 1, and the histograms
 */
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { metricMeter } from '@temporalio/workflow';
import { runEndLabels, runHistogramLabels, runMetricNames, type RunEnd } from '../core/run-metrics.ts';

export function recordRunEnd(end: RunEnd, meter: MetricMeter = metricMeter): void {
  const labels = runEndLabels(end);
  const short: MetricTags = Object.fromEntries(runHistogramLabels.map((l) => [l, labels[l]]));
  safely(() =>
    meter.createCounter(runMetricNames.runs, '1', 'Finished runs, by outcome, reason and who answered').add(1, labels),
  );
  record(meter, runMetricNames.cost, 'float', 'USD', 'Cost of a run in USD at the agent prices', end.costUsd, short);
  record(meter, runMetricNames.steps, 'int', '1', 'Steps of a run', end.steps, short);
  record(meter, runMetricNames.escalations, 'int', '1', 'Escalations to a human per run', end.escalations, short);
  record(
    meter,
    runMetricNames.latency,
    'int',
    'ms',
    'Run latency, start to end, human waits included',
    end.latencyMs,
    short,
  );
  if (end.humanWaitMs !== undefined) {
    const latency = Math.max(0, end.latencyMs - end.humanWaitMs);
    record(
      meter,
      runMetricNames.latencyExclHuman,
      'int',
      'ms',
      'Run latency less the time spent waiting for a human',
      latency,
      short,
    );
  }
  if (end.humanTimeouts !== undefined) {
    record(
      meter,
      runMetricNames.humanTimeouts,
      'int',
      '1',
      'Approval and escalation deadlines passed per run',
      end.humanTimeouts,
      short,
    );
  }
}

function record(
  meter: MetricMeter,
  name: string,
  type: 'int' | 'float',
  unit: string,
  description: string,
  value: number,
  tags: MetricTags,
): void {
  if (!Number.isFinite(value) || value < 0) return;
  safely(() =>
    meter.createHistogram(name, type, unit, description).record(type === 'int' ? Math.round(value) : value, tags),
  );
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Never fail a workflow task for a metric.
  }
}
