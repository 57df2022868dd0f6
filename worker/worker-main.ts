/**
 * Worker process entry (`npm run worker`): config from the environment, one worker on the
 * configured task queue, until SIGINT/SIGTERM. Logs are JSON lines unless
 * BOSUN_LOG_FORMAT=text; BOSUN_METRICS_ADDR turns on the Prometheus endpoint.
 */
import { dataConverterFromConfig } from './codec/data-converter.ts';
import { connectWorker, createBosunWorker } from './create-worker.ts';
import { describeConfig, loadWorkerConfig } from './config.ts';
import { announce, installRuntime } from './runtime.ts';
import { loadTelemetryEnv } from './telemetry/config.ts';
import { tracingInterceptors, tracingOptionsFromEnv } from './telemetry/tracing.ts';

const telemetry = loadTelemetryEnv();
installRuntime({
  logLevel: telemetry.BOSUN_LOG_LEVEL ?? 'INFO',
  metricsAddress: telemetry.BOSUN_METRICS_ADDR,
  json: (telemetry.BOSUN_LOG_FORMAT ?? 'json') === 'json',
});
const config = loadWorkerConfig();
announce(`bosun worker: ${describeConfig(config)}`);
if (telemetry.BOSUN_METRICS_ADDR) announce(`bosun worker: metrics at http://${telemetry.BOSUN_METRICS_ADDR}/metrics`);
const connection = await connectWorker(config);
// OTEL_EXPORTER_OTLP_ENDPOINT turns on tracing: client → workflow → activities.
const tracing = tracingInterceptors(tracingOptionsFromEnv(telemetry));
try {
  // With BOSUN_CODEC_KEYS set, every payload this worker writes is encrypted.
  const worker = await createBosunWorker({
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
