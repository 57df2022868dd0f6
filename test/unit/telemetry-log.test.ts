import { ApplicationFailure } from '@temporalio/common';
import type { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { briefLogger, formatLogEntry, formatLogLine, jsonLogger } from '../../worker/telemetry/log-format.ts';
import { loadTelemetryEnv, otlpTracesUrl, TelemetryConfigError } from '../../worker/telemetry/config.ts';
import { runtimeOptions } from '../../worker/runtime.ts';

const at = 1_767_225_600_123n * 1_000_000n; // 2026-01-01T00:00:00.123Z

describe('JSON log lines', () => {
  it('writes ts, level, message and the metadata as one JSON object on one line', () => {
    const line = formatLogEntry({
      level: 'INFO',
      message: 'model call',
      timestampNanos: at,
      meta: { workflowId: 'run-42', step: 3, model: 'openai/gpt-4.1-mini', inputTokens: 120, taskToken: 'CiQw...' },
    });
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      ts: '2026-01-01T00:00:00.123Z',
      level: 'INFO',
      message: 'model call',
      workflowId: 'run-42',
      step: 3,
      model: 'openai/gpt-4.1-mini',
      inputTokens: 120,
    });
    expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(['ts', 'level', 'message']);
  });

  it('keeps ts, level and message from being overwritten by metadata', () => {
    const parsed = JSON.parse(
      formatLogEntry({
        level: 'WARN',
        message: 'real',
        timestampNanos: at,
        meta: { level: 'fake', message: 'fake', ts: 'fake' },
      }),
    );
    expect(parsed).toMatchObject({ level: 'WARN', message: 'real', ts: '2026-01-01T00:00:00.123Z' });
  });

  it('never logs payload contents or secrets: such keys are redacted at any depth', () => {
    const parsed = JSON.parse(
      formatLogEntry({
        level: 'INFO',
        message: 'x',
        timestampNanos: at,
        meta: {
          step: 1,
          messages: [{ role: 'user', content: 'card 4242' }],
          nested: { args: { orderId: 'o1' }, apiKey: 'sk-live-1', count: 2 },
        },
      }),
    );
    expect(parsed).toEqual({
      ts: expect.any(String),
      level: 'INFO',
      message: 'x',
      step: 1,
      messages: '[redacted]',
      nested: { args: '[redacted]', apiKey: '[redacted]', count: 2 },
    });
    expect(JSON.stringify(parsed)).not.toMatch(/4242|sk-live|o1/);
  });

  it('turns errors into name and failure type: no message (a tool error may quote a secret), stack or details', () => {
    const failure = ApplicationFailure.create({
      type: 'tool_failed',
      message: 'cannot evaluate "ghp_SECRET * 2"',
      details: [{ secret: 'x' }],
    });
    const line = formatLogEntry({ level: 'ERROR', message: 'failed', timestampNanos: at, meta: { error: failure } });
    expect(JSON.parse(line).error).toEqual({ name: 'ApplicationFailure', type: 'tool_failed' });
    expect(line).not.toContain('SECRET');
  });

  it('cuts long strings and serializes bigints, dates and non-finite numbers', () => {
    const parsed = JSON.parse(
      formatLogEntry({
        level: 'DEBUG',
        message: 'm'.repeat(1_500),
        timestampNanos: at,
        meta: { big: 12n, when: new Date(0), inf: Infinity, gone: undefined, fn: () => 1 },
      }),
    );
    expect(parsed.message).toHaveLength(1_000 + '…(+500 chars)'.length);
    expect(parsed).toMatchObject({ big: '12', when: '1970-01-01T00:00:00.000Z', inf: 'Infinity' });
    expect(parsed).not.toHaveProperty('gone');
    expect(parsed).not.toHaveProperty('fn');
  });

  it('filters by level before writing', () => {
    const lines: string[] = [];
    const logger = jsonLogger('WARN', (l) => lines.push(l));
    logger.info('hidden', { step: 1 });
    logger.warn('shown', { step: 2 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'shown', step: 2 }),
    ]);
  });
});

describe('telemetry configuration', () => {
  it('reads the metrics address, log format and level, and the OTLP endpoint', () => {
    const env = loadTelemetryEnv({
      BOSUN_METRICS_ADDR: '127.0.0.1:9464',
      BOSUN_LOG_FORMAT: 'json',
      BOSUN_LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    });
    expect(env).toMatchObject({
      BOSUN_METRICS_ADDR: '127.0.0.1:9464',
      BOSUN_LOG_FORMAT: 'json',
      BOSUN_LOG_LEVEL: 'DEBUG',
    });
    expect(otlpTracesUrl(env)).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' })).toBe('http://c:4318/custom');
    expect(otlpTracesUrl(loadTelemetryEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }))).toBeUndefined();
  });

  it('fails at start-up, naming the variable, on a malformed value', () => {
    expect(() => loadTelemetryEnv({ BOSUN_METRICS_ADDR: '9464' })).toThrow(TelemetryConfigError);
    expect(() => loadTelemetryEnv({ BOSUN_METRICS_ADDR: '9464' })).toThrow(/BOSUN_METRICS_ADDR/);
    expect(() => loadTelemetryEnv({ BOSUN_LOG_FORMAT: 'xml' })).toThrow(/BOSUN_LOG_FORMAT/);
    expect(() => loadTelemetryEnv({ BOSUN_LOG_MEMORY_MS: '10' })).toThrow(/BOSUN_LOG_MEMORY_MS/);
  });

  it('logs memory only when asked, every BOSUN_LOG_MEMORY_MS', () => {
    expect(loadTelemetryEnv({}).BOSUN_LOG_MEMORY_MS).toBeUndefined();
    expect(loadTelemetryEnv({ BOSUN_LOG_MEMORY_MS: '10000' }).BOSUN_LOG_MEMORY_MS).toBe(10_000);
  });

  it('serves Prometheus only when an address is given, with Bosun buckets for latency, cost and the per-run histograms', () => {
    expect(runtimeOptions({ logLevel: 'INFO' }).telemetryOptions?.metrics).toBeUndefined();
    const metrics = runtimeOptions({ logLevel: 'INFO', metricsAddress: '127.0.0.1:9464' }).telemetryOptions?.metrics;
    expect(metrics).toMatchObject({ prometheus: { bindAddress: '127.0.0.1:9464' } });
    const buckets = (metrics as { prometheus: { histogramBucketOverrides: Record<string, number[]> } }).prometheus
      .histogramBucketOverrides;
    expect(Object.keys(buckets).sort()).toEqual([
      'bosun_model_cost_usd',
      'bosun_model_latency',
      'bosun_run_cost_usd',
      'bosun_run_escalations',
      'bosun_run_human_timeouts',
      'bosun_run_latency',
      'bosun_run_latency_excl_human',
      'bosun_run_steps',
    ]);
    // `le="0"` is what makes "runs with no escalation" readable from the histogram.
    expect(buckets.bosun_run_escalations![0]).toBe(0);
    expect(buckets.bosun_run_human_timeouts![0]).toBe(0);
  });
});

describe('an embedded worker is quiet unless a log level is set', () => {
  const failure = Object.assign(new Error('429 Too Many Requests: {"prompt":"secret"}'), {
    name: 'ApplicationFailure',
    type: 'rate_limited',
  });
  const entry = {
    level: 'WARN' as const,
    message: 'Activity failed',
    timestampNanos: 1_767_225_600_123_000_000n,
    meta: {
      sdkComponent: 'worker',
      taskQueue: 'bosun',
      namespace: 'default',
      activityId: '2',
      workflowRunId: '01a2',
      workflowType: 'agentRun',
      workflowId: 'run-1',
      runId: 'run-1',
      activityType: 'callModel',
      attempt: 2,
      error: failure,
    },
  };

  it('prints warnings and errors only, one short line each, without stack traces or payloads', () => {
    const options = runtimeOptions({}, {});
    const logger = options.logger as DefaultLogger;
    expect(logger.level).toBe('WARN');
    const lines: string[] = [];
    const quiet = briefLogger('WARN', (line) => lines.push(line));
    quiet.info('Worker state changed', { state: 'RUNNING' });
    quiet.warn(entry.message, entry.meta);
    const line =
      'WARN Activity failed workflowId=run-1 activityType=callModel attempt=2 error=ApplicationFailure/rate_limited';
    expect(lines).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} /)]);
    expect(lines[0]!.slice(13)).toBe(line);
    expect(formatLogLine(entry)).toBe(`00:00:00.123 ${line}`);
  });

  it('logs at the level BOSUN_LOG_LEVEL or the program sets, in full', () => {
    expect((runtimeOptions({}, { BOSUN_LOG_LEVEL: 'info' }).logger as DefaultLogger).level).toBe('INFO');
    expect((runtimeOptions({ logLevel: 'DEBUG' }, {}).logger as DefaultLogger).level).toBe('DEBUG');
    expect((runtimeOptions({ json: true }, {}).logger as DefaultLogger).level).toBe('WARN');
    expect(runtimeOptions({ shutdownSignals: [] }, {}).shutdownSignals).toEqual([]);
    expect(runtimeOptions({}, {}).shutdownSignals).toBeUndefined();
  });
});
