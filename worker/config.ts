import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const optionalUrl = optionalString.pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional());
/** Unset or empty means the default: `FOO=` in a shell is "not set", not "set to nothing". */
const withDefault = (value: string) => optionalString.transform((v) => v ?? value);

/**
 * Worker configuration, parsed from the environment by zod so a typo fails at start-up with
 * the variable's name, not at the first model call.
 */
export const workerConfigSchema = z.object({
  TEMPORAL_ADDRESS: withDefault('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: withDefault('default'),
  BOSUN_TASK_QUEUE: withDefault('bosun'),
  BOSUN_STATE_DIR: withDefault('.bosun'),
  BOSUN_KNOWLEDGE_DIR: optionalString,
  /** A retrieval index built by `npm run ingest`; without it the worker indexes
   * BOSUN_KNOWLEDGE_DIR (or the example knowledge base) in memory at start. */
  BOSUN_RETRIEVAL_DB: optionalString,
  /** Named prompt templates (`<name>.md`); the shipped examples by default. */
  BOSUN_PROMPTS_DIR: optionalString,
  /** A prebuilt workflow bundle (from `bundleWorkflows`), to skip bundling at start. */
  BOSUN_WORKFLOW_BUNDLE: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalUrl,
  /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, a gateway). */
  OPENAI_COMPATIBLE_BASE_URL: optionalUrl,
  OPENAI_COMPATIBLE_API_KEY: optionalString,
  /** Consecutive provider failures of one model before this worker stops calling it. */
  BOSUN_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
  /** How long an open breaker waits before letting one probe call through. */
  BOSUN_BREAKER_OPEN_MS: z.coerce.number().int().min(100).default(30_000),
  /** Extra headers for the OpenAI-compatible server, as a JSON object (gateways often want
   * a tenant or routing header). Values may be secrets: they are never printed. */
  OPENAI_COMPATIBLE_HEADERS: optionalString.pipe(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object of header names to values' });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are letters, digits and -'), z.string()))
      .optional(),
  ),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export class ConfigError extends Error {
  constructor(issues: z.core.$ZodIssue[]) {
    super(`invalid worker configuration: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const parsed = workerConfigSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues);
  return parsed.data;
}

/** Keys never leave the worker: this is what may be printed about the config. */
/** A base URL as it may be printed: credentials in it are masked. */
function safeUrl(url: string): string {
  const u = new URL(url);
  if (!u.username && !u.password) return url;
  u.username = '***';
  u.password = '';
  return u.toString();
}

export function describeConfig(c: WorkerConfig): string {
  const providers = [
    c.OPENAI_API_KEY || c.OPENAI_BASE_URL ? `openai${c.OPENAI_BASE_URL ? ` @ ${safeUrl(c.OPENAI_BASE_URL)}` : ''}` : undefined,
    c.ANTHROPIC_API_KEY || c.ANTHROPIC_BASE_URL ? `anthropic${c.ANTHROPIC_BASE_URL ? ` @ ${safeUrl(c.ANTHROPIC_BASE_URL)}` : ''}` : undefined,
    c.OPENAI_COMPATIBLE_BASE_URL ? `openai-compatible @ ${safeUrl(c.OPENAI_COMPATIBLE_BASE_URL)}` : undefined,
  ].filter(Boolean);
  return `temporal ${c.TEMPORAL_ADDRESS} namespace ${c.TEMPORAL_NAMESPACE} queue ${c.BOSUN_TASK_QUEUE}; providers: ${providers.join(', ') || 'none'}`;
}
