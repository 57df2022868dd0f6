/** Telemetry for the worker: JSON log lines, OpenTelemetry tracing, and their env config.
 * The Runtime (logger + Prometheus metrics) is installed by `../runtime.ts`. */
export * from './config.ts';
export * from './log-format.ts';
export * from './tracing.ts';
