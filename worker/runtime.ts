import { DefaultLogger, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import { activityMetricNames, modelLatencyBucketsMs } from '../activities/metrics.ts';
import { runMetricBuckets } from '../core/run-metrics.ts';
import { modelCostBucketsUsd, workflowMetricNames } from '../workflows/metrics.ts';
import { loadTelemetryEnv } from './telemetry/config.ts';
import { briefLogger, formatLogEntry, jsonLogger } from './telemetry/log-format.ts';

export interface RuntimeSetup {
  /** The least severe level logged (workflow, activity, worker and core logs alike). When
   * neither this nor `BOSUN_LOG_LEVEL` sets one, the worker is quiet: warnings and errors
   * only, one short line each, no stack traces (`formatLogLine`). When one is set, text logs
   * are the SDK's full lines, stack traces included. */
  logLevel?: LogLevel | undefined;
  /** `host:port` for the Prometheus endpoint (`http://host:port/metrics`): Temporal's
   * runtime metrics and Bosun's (`bosun_*`) on one endpoint. Off when unset. */
  metricsAddress?: string | undefined;
  /** One JSON object per line on stdout (`ts`, `level`, `message`, metadata) instead of
   * text lines on stderr. */
  json?: boolean | undefined;
  /** Signals on which the Runtime shuts its running workers down (the SDK's default:
   * SIGINT, SIGTERM, SIGQUIT, SIGUSR2). `[]` leaves signals to the program. */
  shutdownSignals?: NodeJS.Signals[] | undefined;
}

/** The level an embedded worker logs at when nobody chose one. */
export const quietLogLevel: LogLevel = 'WARN';

let format: 'json' | 'text' = 'text';

/**
 * Installs the process's Temporal Runtime: its logger (JSON lines or text) and, with a
 * metrics address, the Prometheus exporter that also serves Bosun's metrics (activities
 * and workflows emit through the Runtime's meter). Call it once, first — before any
 * `NativeConnection` (`connectWorker` calls it for you when nothing did): the Runtime is
 * created on first use and cannot be reconfigured after. Without a `logLevel` it reads
 * `BOSUN_LOG_LEVEL`, and without either it is quiet (see `RuntimeSetup.logLevel`).
 *
 * @example
 * installRuntime(); // quiet: warnings and errors, one line each
 * installRuntime({ logLevel: 'INFO', metricsAddress: '127.0.0.1:9464', json: true });
 * // curl http://127.0.0.1:9464/metrics → temporal_* and bosun_* series
 */
export function installRuntime(setup: RuntimeSetup = {}): Runtime {
  format = setup.json ? 'json' : 'text';
  return Runtime.install(runtimeOptions(setup));
}

/** Installs the quiet default Runtime unless one exists (a program's own, or the SDK's). */
export function ensureRuntime(): void {
  if (!Runtime._instance) installRuntime();
}

/** The Runtime options `installRuntime` installs (separate so they can be checked). */
export function runtimeOptions(
  setup: RuntimeSetup,
  env: Record<string, string | undefined> = process.env,
): RuntimeOptions {
  const chosen = setup.logLevel ?? loadTelemetryEnv(env).BOSUN_LOG_LEVEL;
  const level = chosen ?? quietLogLevel;
  const verbose = level === 'TRACE' || level === 'DEBUG';
  return {
    logger: setup.json ? jsonLogger(level) : chosen ? new DefaultLogger(level) : briefLogger(level),
    ...(setup.shutdownSignals ? { shutdownSignals: setup.shutdownSignals } : {}),
    telemetryOptions: {
      // Core's own logs go through the same logger, so JSON output stays one object per line.
      logging: { filter: { core: verbose ? level : 'WARN', other: 'ERROR' }, forward: {} },
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
