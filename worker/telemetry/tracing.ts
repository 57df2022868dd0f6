import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import { createRequire } from 'node:module';
import { loadTelemetryEnv, otlpTracesUrl, type TelemetryEnv } from './config.ts';

/**
 * The workflow interceptor module of `@temporalio/interceptors-opentelemetry`. It must be in
 * the workflow bundle for workflow spans (and for the trace to reach the activities):
 * `bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: workflowTracingModules })`.
 * A worker that bundles at start-up gets it from `workerOptions()`.
 */
export const workflowTracingModules: string[] = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

export interface TracingOptions {
  /** OTLP/HTTP URL spans are posted to (`http://collector:4318/v1/traces`). */
  otlpUrl?: string | undefined;
  /** Export here instead, span by span (tests pass an `InMemorySpanExporter`). */
  exporter?: SpanExporter | undefined;
  /** `service.name` of the spans; `bosun-worker` by default. */
  serviceName?: string | undefined;
}

/** What `Worker.create` needs (spread into its options). */
export interface TracingWorkerOptions {
  interceptors: WorkerInterceptors;
  sinks: InjectedSinks<OpenTelemetrySinks>;
}

export interface Tracing {
  enabled: boolean;
  /**
   * Interceptors and the span-exporter sink for `Worker.create`. With a prebuilt workflow
   * bundle, pass `{ prebuiltBundle: true }`: the workflow interceptor module must then be in
   * the bundle (`workflowTracingModules`) and the worker is not asked to add it.
   */
  workerOptions(opts?: { prebuiltBundle?: boolean }): TracingWorkerOptions;
  /** Client interceptors: `new Client({ connection, interceptors: tracing.client })`. The
   * start, signal, update and query spans carry the trace into the workflow. */
  client: ClientInterceptors;
  /** Flushes pending spans and unregisters the process-wide OpenTelemetry globals. */
  shutdown(): Promise<void>;
}

/** A sink that drops workflow spans: a bundle with the tracing module on a worker without
 * tracing would otherwise log "unregistered external sink" for every span. */
const droppingSinks: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => {} } } };

const disabled: Tracing = {
  enabled: false,
  workerOptions: () => ({ interceptors: {}, sinks: droppingSinks }),
  client: {},
  shutdown: async () => {},
};

let active: { key: unknown; tracing: Tracing } | undefined;

/**
 * OpenTelemetry tracing across client → workflow → activities, with
 * `@temporalio/interceptors-opentelemetry`: the client's start span is the parent of the
 * workflow's spans, which are the parents of the activities' spans; `callModel`'s span
 * carries the GenAI attributes (`gen_ai.request.model`, `gen_ai.usage.*`,
 * `bosun.prompt.version`). Off (no interceptors, a span-dropping sink) unless an OTLP URL or
 * an exporter is given.
 *
 * It registers the process-wide tracer provider, context manager (AsyncLocalStorage) and
 * W3C propagator, once per process: a second call with the same options returns the same
 * setup.
 *
 * @example
 * const tracing = tracingInterceptors(tracingOptionsFromEnv());
 * const worker = await Worker.create({ ...options, ...tracing.workerOptions() });
 * const client = new Client({ connection, interceptors: tracing.client });
 */
export function tracingInterceptors(opts: TracingOptions = tracingOptionsFromEnv()): Tracing {
  if (!opts.exporter && !opts.otlpUrl) return disabled;
  const key = opts.exporter ?? `${opts.otlpUrl}|${opts.serviceName ?? ''}`;
  if (active) {
    if (active.key === key) return active.tracing;
    throw new Error('tracing is already set up in this process with other options; shut it down first');
  }

  const resource = new Resource({ 'service.name': opts.serviceName ?? 'bosun-worker' });
  const processor: SpanProcessor = opts.exporter
    ? new SimpleSpanProcessor(opts.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.otlpUrl }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  provider.register({ contextManager });
  const tracer: Tracer = provider.getTracer('bosun');

  const sinks: InjectedSinks<OpenTelemetrySinks> = { exporter: makeWorkflowExporter(processor, resource) };
  const activity: WorkerInterceptors['activity'] = [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
  ];
  const tracing: Tracing = {
    enabled: true,
    workerOptions: ({ prebuiltBundle = false } = {}) => ({
      interceptors: { activity, ...(prebuiltBundle ? {} : { workflowModules: workflowTracingModules }) },
      sinks,
    }),
    client: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    shutdown: async () => {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        active = undefined;
      }
    },
  };
  active = { key, tracing };
  return tracing;
}

/** Tracing options from `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 * and `OTEL_SERVICE_NAME` (see `telemetryEnvSchema`). */
export function tracingOptionsFromEnv(env: TelemetryEnv = loadTelemetryEnv()): TracingOptions {
  return { otlpUrl: otlpTracesUrl(env), serviceName: env.OTEL_SERVICE_NAME };
}
