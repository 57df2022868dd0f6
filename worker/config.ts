import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const optionalUrl = optionalString.pipe(z.url({ message: 'must be an http(s) URL' }).optional());

/**
 * Worker configuration, parsed from the environment by zod so a typo fails at start-up with
 * the variable's name, not at the first model call.
 */
export const workerConfigSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  BOSUN_TASK_QUEUE: z.string().min(1).default('bosun'),
  BOSUN_STATE_DIR: z.string().min(1).default('.bosun'),
  BOSUN_KNOWLEDGE_DIR: optionalString,
  /** A prebuilt workflow bundle (from `bundleWorkflows`), to skip bundling at start. */
  BOSUN_WORKFLOW_BUNDLE: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalUrl,
  /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, a gateway). */
  OPENAI_COMPATIBLE_BASE_URL: optionalUrl,
  OPENAI_COMPATIBLE_API_KEY: optionalString,
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
export function describeConfig(c: WorkerConfig): string {
  const providers = [
    c.OPENAI_API_KEY || c.OPENAI_BASE_URL ? `openai${c.OPENAI_BASE_URL ? ` @ ${c.OPENAI_BASE_URL}` : ''}` : undefined,
    c.ANTHROPIC_API_KEY || c.ANTHROPIC_BASE_URL ? `anthropic${c.ANTHROPIC_BASE_URL ? ` @ ${c.ANTHROPIC_BASE_URL}` : ''}` : undefined,
    c.OPENAI_COMPATIBLE_BASE_URL ? `openai-compatible @ ${c.OPENAI_COMPATIBLE_BASE_URL}` : undefined,
  ].filter(Boolean);
  return `temporal ${c.TEMPORAL_ADDRESS} namespace ${c.TEMPORAL_NAMESPACE} queue ${c.BOSUN_TASK_QUEUE}; providers: ${providers.join(', ') || 'none'}`;
}
