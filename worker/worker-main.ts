/**
 * Worker process entry (`npm run worker`): config from the environment, one worker on the
 * configured task queue, until SIGINT/SIGTERM. `BOSUN_APP` names a module whose default
 * export is what the worker serves beyond the built-in tools (a `WorkerApp`: catalog,
 * catalogModule, handlers, prompts, knowledge base); `npm run worker` serves the demo's.
 * Logs are JSON lines unless BOSUN_LOG_FORMAT=text; BOSUN_METRICS_ADDR turns on the
 * Prometheus endpoint; BOSUN_LOG_MEMORY_MS logs the process's memory periodically.
 */
import { pathToFileURL } from 'node:url';
import { dataConverterFromConfig } from './codec/data-converter.ts';
import { modulePath, WorkerSetupError } from './catalog-wiring.ts';
import { connectWorker, createBosunWorker, type WorkerApp } from './create-worker.ts';
import { describeConfig, loadWorkerConfig } from './config.ts';
import { announce, installRuntime } from './runtime.ts';
import { loadTelemetryEnv } from './telemetry/config.ts';
import { startMemoryLog } from './telemetry/memory-log.ts';
import { tracingInterceptors, tracingOptionsFromEnv } from './telemetry/tracing.ts';

const telemetry = loadTelemetryEnv();
installRuntime({
  logLevel: telemetry.BOSUN_LOG_LEVEL ?? 'INFO',
  metricsAddress: telemetry.BOSUN_METRICS_ADDR,
  json: (telemetry.BOSUN_LOG_FORMAT ?? 'json') === 'json',
});
const config = loadWorkerConfig();
const app = await loadApp(process.env.BOSUN_APP);
announce(`bosun worker: ${describeConfig(config)}${process.env.BOSUN_APP ? ` · app ${process.env.BOSUN_APP}` : ''}`);
if (telemetry.BOSUN_METRICS_ADDR) announce(`bosun worker: metrics at http://${telemetry.BOSUN_METRICS_ADDR}/metrics`);
if (telemetry.BOSUN_LOG_MEMORY_MS) startMemoryLog(telemetry.BOSUN_LOG_MEMORY_MS, announce);
const connection = await connectWorker(config);
// OTEL_EXPORTER_OTLP_ENDPOINT turns on tracing: client → workflow → activities.
const tracing = tracingInterceptors(tracingOptionsFromEnv(telemetry));
try {
  // With BOSUN_CODEC_KEYS set, every payload this worker writes is encrypted.
  const worker = await createBosunWorker({
    ...app,
    connection,
    config,
    dataConverter: dataConverterFromConfig(config),
    tracing,
  });
  announce('bosun worker: ready');
  await worker.run();
} finally {
  await tracing.shutdown();
  await connection.close();
}

/** The default export of the `BOSUN_APP` module: a `WorkerApp`, or nothing (built-ins only). */
async function loadApp(module: string | undefined): Promise<WorkerApp> {
  if (!module) return {};
  const path = modulePath(module);
  const app = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
  if (typeof app !== 'object' || app === null) {
    throw new WorkerSetupError([
      `BOSUN_APP ${path} must export default a WorkerApp ({ catalog, catalogModule, handlers })`,
    ]);
  }
  return app as WorkerApp;
}
