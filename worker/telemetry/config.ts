import { z } from 'zod';
import { formatIssues } from '../../core/zod-issues.ts';

const optional = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const hostPort = optional.pipe(
  z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464')
    .optional(),
);
const httpUrl = optional.pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional());
const logLevel = optional.pipe(
  z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']))
    .optional(),
);

/**
 * Telemetry settings from the environment (zod-parsed, so a typo fails at start-up):
 *
 * - `BOSUN_METRICS_ADDR` — `host:port` of the Prometheus endpoint (`/metrics`); off when unset.
 * - `BOSUN_LOG_FORMAT` — `json` (one object per line) or `text`; each entry point has its default.
 * - `BOSUN_LOG_LEVEL` — `TRACE` … `ERROR`; each entry point has its default.
 * - `OTEL_EXPORTER_OTLP_ENDPOINT` — an OTLP/HTTP collector (`http://host:4318`); traces go to
 *   `<endpoint>/v1/traces`. `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` names the full URL instead.
 *   Tracing is off when neither is set. `OTEL_EXPORTER_OTLP_HEADERS` is read by the exporter.
 * - `OTEL_SERVICE_NAME` — the `service.name` of the spans (`bosun-worker` by default).
 * - `BOSUN_LOG_MEMORY_MS` — every this many ms (at least 1000) the worker logs its memory
 *   (`bosun worker: memory rss=… heapUsed=…`, MiB): to tell a heap leak from native growth
 *   in a soak without a debugger. Off when unset.
 */
export const telemetryEnvSchema = z.object({
  BOSUN_METRICS_ADDR: hostPort,
  BOSUN_LOG_FORMAT: optional.pipe(z.enum(['json', 'text']).optional()),
  BOSUN_LOG_LEVEL: logLevel,
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl,
  OTEL_SERVICE_NAME: optional,
  BOSUN_LOG_MEMORY_MS: optional.pipe(z.coerce.number<string | undefined>().int().min(1000).optional()),
});
export type TelemetryEnv = z.infer<typeof telemetryEnvSchema>;

export class TelemetryConfigError extends Error {
  constructor(issues: z.core.$ZodIssue[]) {
    super(`invalid telemetry configuration: ${formatIssues(issues)}`);
    this.name = 'TelemetryConfigError';
  }
}

export function loadTelemetryEnv(env: Record<string, string | undefined> = process.env): TelemetryEnv {
  const parsed = telemetryEnvSchema.safeParse(env);
  if (!parsed.success) throw new TelemetryConfigError(parsed.error.issues);
  return parsed.data;
}

/** Where spans go: the URL an OTLP/HTTP trace exporter posts to, if tracing is configured. */
export function otlpTracesUrl(
  env: Pick<TelemetryEnv, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'>,
): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}
