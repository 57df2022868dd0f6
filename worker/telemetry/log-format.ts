import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * One log entry as one JSON line: `ts`, `level`, `message`, then the entry's metadata —
 * for workflow and activity logs that includes `workflowId` (Bosun's run id), `runId`,
 * `step` where Bosun logs it, `activityType`, `attempt`, ...
 *
 * Metadata is made safe to ship: errors become `{ name, message, type? }` (no stack, no
 * cause payloads), long strings are cut, and keys that could carry payload contents
 * (prompts, messages, tool arguments and results, headers, secrets) are replaced by
 * `"[redacted]"`. Bosun never logs payloads; this is the guard rail if something does.
 *
 * @example
 * formatLogEntry({ level: 'INFO', message: 'model call', timestampNanos: 1767225600000000000n, meta: { workflowId: 'run-1', step: 2 } })
 * // {"ts":"2026-01-01T00:00:00.000Z","level":"INFO","message":"model call","workflowId":"run-1","step":2}
 */
export function formatLogEntry(entry: LogEntry): string {
  const ts = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta ? (sanitize(entry.meta, 0) as Record<string, unknown>) : {};
  // `taskToken` lets its holder complete the activity: noise in a log, and not for everyone.
  const { ts: _ts, level: _level, message: _message, taskToken: _taskToken, ...rest } = meta;
  return JSON.stringify({ ts, level: entry.level, message: cut(entry.message), ...rest });
}

/** Metadata a person reading a terminal does not need (ids Temporal repeats on every line);
 * JSON logs keep them. */
const briefOmittedKeys = new Set([
  'sdkComponent',
  'taskQueue',
  'isLocal',
  'namespace',
  'activityId',
  'workflowRunId',
  'workflowType',
  'durationMs',
  'taskToken',
]);

/**
 * One log entry as one short text line: `time LEVEL message key=value ...`, with the
 * metadata made safe as in `formatLogEntry` (errors by class and failure type: no stack
 * traces, no payloads) and Temporal's bookkeeping ids left out. What an embedded worker
 * prints by default.
 *
 * @example
 * formatLogLine({ level: 'WARN', message: 'Activity failed', timestampNanos: 1767225600000000000n, meta: { workflowId: 'run-1', activityType: 'callModel', attempt: 2, error } })
 * // 00:00:00.000 WARN Activity failed workflowId=run-1 activityType=callModel attempt=2 error=ApplicationFailure/rate_limited
 */
export function formatLogLine(entry: LogEntry): string {
  const { ts, level, message, ...meta } = JSON.parse(formatLogEntry(entry)) as Record<string, unknown>;
  const pairs = Object.entries(meta)
    .filter(([key, value]) => !briefOmittedKeys.has(key) && !(key === 'runId' && value === meta.workflowId))
    .map(([key, value]) => `${key}=${briefValue(value)}`);
  return [String(ts).slice(11, 23), String(level), String(message), ...pairs].join(' ');
}

function briefValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  const error = value as { name?: unknown; type?: unknown } | null;
  if (error && typeof error === 'object' && typeof error.name === 'string' && Object.keys(error).length <= 2)
    return typeof error.type === 'string' ? `${error.name}/${error.type}` : error.name;
  return JSON.stringify(value);
}

/** A Runtime logger that writes `formatLogLine` lines (to stderr by default). */
export function briefLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): DefaultLogger {
  return new DefaultLogger(level, (entry) => write(formatLogLine(entry)));
}

/** A Runtime logger that writes `formatLogEntry` lines (to stdout by default). */
export function jsonLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): DefaultLogger {
  return new DefaultLogger(level, (entry) => write(formatLogEntry(entry)));
}

/** Metadata keys whose values are never logged. */
export const redactedKeys: ReadonlySet<string> = new Set(
  [
    'payload',
    'payloads',
    'input',
    'args',
    'arguments',
    'result',
    'output',
    'messages',
    'content',
    'prompt',
    'system',
    'text',
    'headers',
    'authorization',
    'apiKey',
    'api_key',
    'token',
    'secret',
    'password',
  ].map((k) => k.toLowerCase()),
);

const MAX_STRING = 1_000;
const MAX_DEPTH = 4;
const MAX_ITEMS = 50;

function cut(s: string): string {
  return s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…(+${s.length - MAX_STRING} chars)` : s;
}

function sanitize(value: unknown, depth: number): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return cut(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'symbol':
    case 'function':
      return undefined;
  }
  if (value instanceof Error) return describeError(value);
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => sanitize(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>).slice(0, MAX_ITEMS)) {
    const clean = redactedKeys.has(key.toLowerCase()) ? '[redacted]' : sanitize(v, depth + 1);
    if (clean !== undefined) out[key] = clean;
  }
  return out;
}

/** An error as a log line may show it: its class and failure type, never its message —
 * a tool's error text can quote the model's arguments, which can hold a secret. The message
 * stays in history (encrypted when a codec is configured), readable to operators there. */
function describeError(err: Error): Record<string, unknown> {
  const type = (err as { type?: unknown }).type;
  return { name: err.name, ...(typeof type === 'string' ? { type } : {}) };
}
