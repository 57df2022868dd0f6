import { DefaultLogger, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import { activityMetricNames, modelLatencyBucketsMs } from '../activities/metrics.ts';
import { runMetricBuckets } from '../core/run-metrics.ts';
import { modelCostBucketsUsd, workflowMetricNames } from '../workflows/metrics.ts';
import { formatLogEntry, jsonLogger } from './telemetry/log-format.ts';

export interface RuntimeSetup {
  /** The least severe level logged (workflow, activity, worker and core logs alike). */
  logLevel: LogLevel;
  /** `host:port` for the Prometheus endpoint (`http://host:port/metrics`): Temporal's
   * runtime metrics and Bosun's (`bosun_*`) on one endpoint. Off when unset. */
  metricsAddress?: string | undefined;
  /** One JSON object per line on stdout (`ts`, `level`, `message`, metadata) instead of
   * the SDK's human-readable lines on stderr. */
  json?: boolean | undefined;
}

let format: 'json' | 'text' = 'text';

/**
 * Installs the process's Temporal Runtime: its logger (JSON lines or text) and, with a
 * metrics address, the Prometheus exporter that also serves Bosun's metrics (activities
 * and workflows emit through the Runtime's meter). Call it once, first: the Runtime is
 * created on first use and cannot be reconfigured after.
 *
 * @example
 * installRuntime({ logLevel: 'INFO', metricsAddress: '127.0.0.1:9464', json: true });
 * // curl http://127.0.0.1:9464/metrics → temporal_* and bosun_* series
 */
export function installRuntime(setup: RuntimeSetup): Runtime {
  format = setup.json ? 'json' : 'text';
  return Runtime.install(runtimeOptions(setup));
}

/** The Runtime options `installRuntime` installs (separate so they can be checked). */
export function runtimeOptions(setup: RuntimeSetup): RuntimeOptions {
  const verbose = setup.logLevel === 'TRACE' || setup.logLevel === 'DEBUG';
  return {
    logger: setup.json ? jsonLogger(setup.logLevel) : new DefaultLogger(setup.logLevel),
    telemetryOptions: {
      // Core's own logs go through the same logger, so JSON output stays one object per line.
      logging: { filter: { core: verbose ? setup.logLevel : 'WARN', other: 'ERROR' }, forward: {} },
      ...(setup.metricsAddress
        ? {
            metrics: {
              prometheus: {
                bindAddress: setup.metricsAddress,
                histogramBucketOverrides: {
                  [activityMetricNames.modelLatency]: modelLatencyBucketsMs,
                  [workflowMetricNames.modelCost]: modelCostBucketsUsd,
                  ...runMetricBuckets,
                },
              },
            },
          }
        : {}),
    },
  };
}

/**
 * A start-up line that is printed whatever the log level (`bosun worker: ready`), in the
 * format `installRuntime` chose: a JSON object, or the plain text.
 */
export function announce(message: string, meta?: Record<string, unknown>): void {
  if (format === 'json') {
    console.log(
      formatLogEntry({
        level: 'INFO',
        message,
        timestampNanos: BigInt(Date.now()) * 1_000_000n,
        ...(meta ? { meta } : {}),
      }),
    );
  } else {
    console.log(
      meta
        ? `${message} ${Object.entries(meta)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(' ')}`
        : message,
    );
  }
}
