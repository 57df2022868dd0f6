/** The composition root: config, provider clients, the worker, the embedded dev server. */
export * from './config.ts';
export * from './create-worker.ts';
export * from './bundle.ts';
export { builtInTools } from './built-in-tools.ts';
export * from './dev-server.ts';
export * from './temporal-cli.ts';
export { createModelAdapters } from './providers.ts';
export { ensureSearchAttributes } from './search-attributes.ts';
export { installRuntime } from './runtime.ts';
export { tracingInterceptors, tracingOptionsFromEnv } from './telemetry/tracing.ts';
export * from './codec/index.ts';
