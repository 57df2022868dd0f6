import { z } from 'zod';
import { envString as optionalString, envWithDefault as withDefault } from '../core/env-values.ts';
import {
  configuredProviders,
  envNameOf,
  providerEnvShape,
  type ProviderEnvShape,
  type AnyProviderProfile,
} from '../core/provider-profile.ts';
import { builtInProviderProfiles } from '../core/providers/index.ts';
import { CodecKeys, decodeKey, keyIdPattern } from './codec/codec-keys.ts';
import { formatIssues } from '../core/zod-issues.ts';

/**
 * `BOSUN_CODEC_KEYS`: `{ "<key id>": "<32 bytes, base64>" }`, parsed into `CodecKeys`. No
 * message ever quotes the text: it holds keys (even a key id that fails validation might be
 * a key pasted in the wrong place, so only its position is named).
 */
const codecKeys = optionalString.pipe(
  z
    .string()
    .transform((text, ctx) => {
      const shape =
        'must be a JSON object of key ids to base64 keys, e.g. {"k1":"<output of openssl rand -base64 32>"}';
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: shape });
        return z.NEVER;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
        ctx.addIssue({ code: 'custom', message: shape });
        return z.NEVER;
      }
      const keys: Record<string, Buffer> = {};
      Object.entries(parsed).forEach(([id, value], i) => {
        if (!keyIdPattern.test(id)) {
          ctx.addIssue({ code: 'custom', message: `key id #${i + 1} is not 1-64 letters, digits, ".", "_" or "-"` });
          return;
        }
        const key =
          typeof value === 'string' ? decodeKey(value) : { ok: false as const, reason: 'must be a base64 string' };
        if (!key.ok) ctx.addIssue({ code: 'custom', path: [id], message: key.reason });
        else keys[id] = key.key;
      });
      return Object.keys(keys).length === Object.keys(parsed).length ? new CodecKeys(keys) : z.NEVER;
    })
    .optional(),
);
const codecKeyId = optionalString.pipe(
  z.string().regex(keyIdPattern, 'must be a key id: 1-64 letters, digits, ".", "_" or "-"').optional(),
);

/** The codec variables hang together: keys need an active key among them, and the reverse. */
function checkCodecKeys(
  c: { BOSUN_CODEC_KEYS?: CodecKeys | undefined; BOSUN_CODEC_ACTIVE_KEY?: string | undefined },
  ctx: z.RefinementCtx,
) {
  const keys = c.BOSUN_CODEC_KEYS;
  const active = c.BOSUN_CODEC_ACTIVE_KEY;
  if (keys && !active) {
    ctx.addIssue({
      code: 'custom',
      path: ['BOSUN_CODEC_ACTIVE_KEY'],
      message: `required with BOSUN_CODEC_KEYS: the id of the key new payloads are encrypted with (one of ${keys.ids.join(', ')})`,
    });
  } else if (active && !keys) {
    ctx.addIssue({
      code: 'custom',
      path: ['BOSUN_CODEC_KEYS'],
      message: 'required with BOSUN_CODEC_ACTIVE_KEY: the keys, as a JSON object of key ids to base64 keys',
    });
  } else if (keys && active && !keys.has(active)) {
    ctx.addIssue({
      code: 'custom',
      path: ['BOSUN_CODEC_ACTIVE_KEY'],
      message: `is not one of the key ids in BOSUN_CODEC_KEYS (${keys.ids.join(', ')})`,
    });
  }
}

/** The worker's own variables; each provider's come from its profile (`core/providers/`). */
const baseConfigShape = {
  TEMPORAL_ADDRESS: withDefault('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: withDefault('default'),
  /** Temporal Cloud API key (turns on TLS); never printed. */
  TEMPORAL_API_KEY: optionalString,
  /** `true` to connect with TLS (Temporal Cloud, a TLS-terminated cluster). */
  TEMPORAL_TLS: optionalString.pipe(z.enum(['true', 'false']).optional()).transform((v) => v === 'true'),
  BOSUN_TASK_QUEUE: withDefault('bosun'),
  BOSUN_STATE_DIR: withDefault('.bosun'),
  /** When the embedded run store (SQLite, WAL) syncs to disk. `normal` (default): at WAL
   * checkpoints — a committed write survives a crashed or killed worker, but the last ones
   * may be lost if the machine loses power; a commit costs ~0.05 ms instead of an fsync
   * (~3.6 ms here, several per step). `full`: every commit is fsynced. */
  BOSUN_STORE_SYNC: optionalString.pipe(z.enum(['normal', 'full']).optional()).transform((v) => v ?? 'normal'),
  /**
   * A PostgreSQL database (`postgres://user:password@host:5432/bosun`) for the state workers
   * share — the run store (conversations, prompts, content by reference, traces) and the
   * blobs of MCP results — so workers on several hosts serve the same runs. Unset: the
   * embedded SQLite files under BOSUN_STATE_DIR (one host). Migrated at worker start
   * (`npm run migrate` does it ahead). Never printed with its password.
   */
  BOSUN_DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a PostgreSQL URL, e.g. postgres://bosun:secret@db:5432/bosun')
      .optional(),
  ),
  BOSUN_KNOWLEDGE_DIR: optionalString,
  /** A retrieval index built by `npm run ingest`; without it the worker indexes
   * BOSUN_KNOWLEDGE_DIR (or the example knowledge base) in memory at start. */
  BOSUN_RETRIEVAL_DB: optionalString,
  /** Named prompt templates (`<name>.md`); the shipped examples by default. */
  BOSUN_PROMPTS_DIR: optionalString,
  /** A prebuilt workflow bundle (from `bundleWorkflows`), to skip bundling at start. */
  BOSUN_WORKFLOW_BUNDLE: optionalString,
  /** Consecutive provider failures of one model before this worker stops calling it. */
  BOSUN_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
  /** How long an open breaker waits before letting one probe call through. */
  BOSUN_BREAKER_OPEN_MS: z.coerce.number().int().min(100).default(30_000),
  /** Calls to one model in flight at once on this worker; more wait (heartbeating) for a
   * slot. Keeps a worker from stampeding a provider that rate-limits it. */
  BOSUN_MAX_INFLIGHT_PER_MODEL: z.coerce.number().int().min(1).max(10_000).default(8),
  /** Payload encryption (worker/codec): with these set, every payload the worker writes to
   * history is AES-256-GCM ciphertext. Keep retired keys in the set after a rotation. */
  BOSUN_CODEC_KEYS: codecKeys,
  /** The id (in BOSUN_CODEC_KEYS) of the key new payloads are encrypted with. */
  BOSUN_CODEC_ACTIVE_KEY: codecKeyId,
  /** Days a closed run's stored content is kept (docs/operability.md "Retention"); unset:
   * the namespace's own retention period, read from Temporal at each sweep. */
  BOSUN_RETENTION_DAYS: optionalString.pipe(z.coerce.number<string | undefined>().positive().max(36_500).optional()),
  /** Hours between the retention sweeps this worker starts (one runs at a time across all
   * workers of the queue); 0: this worker starts none. */
  BOSUN_RETENTION_SWEEP_HOURS: optionalString
    .pipe(z.coerce.number<string | undefined>().min(0).max(8_760).optional())
    .transform((v) => v ?? 24),
};

/** The variables of `providers`, checked not to clash with the worker's own. */
function providerShape<const P extends readonly AnyProviderProfile[]>(providers: P): ProviderEnvShape<P> {
  const shape = providerEnvShape(providers);
  const clash = Object.keys(shape as object).find((name) => Object.hasOwn(baseConfigShape, name));
  if (clash) throw new Error(`provider variable ${clash} is one of the worker's own`);
  return shape;
}

/**
 * Worker configuration, parsed from the environment by zod so a typo fails at start-up with
 * the variable's name, not at the first model call. The provider variables are those of the
 * built-in providers (`builtInProviderProfiles`: OPENAI_API_KEY, ANTHROPIC_BASE_URL, ...).
 */
export const workerConfigSchema = z
  .object({ ...baseConfigShape, ...providerShape(builtInProviderProfiles) })
  .superRefine(checkCodecKeys);
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export class ConfigError extends Error {
  constructor(issues: z.core.$ZodIssue[], subject = 'worker') {
    super(`invalid ${subject} configuration: ${formatIssues(issues)}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the worker's configuration from `env`. `providers` (the built-in ones by default)
 * says whose variables to read: pass the same list as to `createBosunWorker` when it holds
 * providers of your own, so their variables are validated and reach their adapters.
 *
 * @example
 * const config = loadWorkerConfig(process.env, { providers: [...builtInProviders, myGateway] });
 */
export function loadWorkerConfig(
  env: Record<string, string | undefined> = process.env,
  opts: { providers?: readonly AnyProviderProfile[] } = {},
): WorkerConfig {
  const schema = opts.providers
    ? z
        .object({ ...baseConfigShape, ...(providerShape(opts.providers) as Record<string, z.ZodType>) })
        .superRefine(checkCodecKeys)
    : workerConfigSchema;
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues);
  return parsed.data as WorkerConfig;
}

/** A base URL as it may be printed: credentials in it are masked. */
function safeUrl(url: string): string {
  const u = new URL(url);
  if (!u.username && !u.password) return url;
  u.username = '***';
  u.password = '';
  return u.toString();
}

/** What may be printed about the config: keys never leave the worker. Each configured
 * provider is named with its base URL (its `endpoint` variable), credentials masked. */
export function describeConfig(c: WorkerConfig, opts: { providers?: readonly AnyProviderProfile[] } = {}): string {
  const values = c as Readonly<Record<string, unknown>>;
  const providers = configuredProviders(opts.providers ?? builtInProviderProfiles, values).map((p) => {
    const endpoint = envNameOf(p, 'endpoint');
    const url = endpoint !== undefined ? values[endpoint] : undefined;
    return typeof url === 'string' && url ? `${p.id} @ ${safeUrl(url)}` : p.id;
  });
  const payloads = c.BOSUN_CODEC_KEYS
    ? `; payloads: encrypted with key ${c.BOSUN_CODEC_ACTIVE_KEY} (keys ${c.BOSUN_CODEC_KEYS.ids.join(', ')})`
    : '';
  const store = c.BOSUN_DATABASE_URL ? `; store: ${safeUrl(c.BOSUN_DATABASE_URL)}` : '';
  return `temporal ${c.TEMPORAL_ADDRESS} namespace ${c.TEMPORAL_NAMESPACE} queue ${c.BOSUN_TASK_QUEUE}; providers: ${providers.join(', ') || 'none'}${payloads}${store}`;
}

/**
 * The codec server's configuration (`npm run codec-server`): the same keys as the workers,
 * an auth token operators present as `Authorization: Bearer <token>`, where it listens
 * (loopback by default) and which browser origins (the Temporal UI) may call it.
 */
export const codecServerConfigSchema = z
  .object({
    BOSUN_CODEC_KEYS: codecKeys,
    BOSUN_CODEC_ACTIVE_KEY: codecKeyId,
    BOSUN_CODEC_TOKEN: optionalString.pipe(
      z.string().min(16, 'must be at least 16 characters (e.g. from `openssl rand -hex 32`)').optional(),
    ),
    /** With an identity provider configured for the HTTP API (`docs/http-api.md`), the codec
     * server also accepts its JWTs, which the Temporal UI forwards; the static token is then
     * optional. */
    BOSUN_AUTH_ISSUER: optionalString,
    /** `host:port`; loopback unless you put it behind TLS and mean it. */
    BOSUN_CODEC_SERVER_ADDR: withDefault('127.0.0.1:8081').pipe(
      z
        .string()
        .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8081')
        .transform((addr) => {
          const i = addr.lastIndexOf(':');
          return { host: addr.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(addr.slice(i + 1)) };
        })
        .refine((a) => a.port <= 65_535, 'port must be at most 65535'),
    ),
    /** Comma-separated browser origins allowed to call the server: the Temporal UI's. */
    BOSUN_CODEC_CORS_ORIGIN: withDefault('http://127.0.0.1:8233').pipe(
      z
        .string()
        .transform((list) =>
          list
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean),
        )
        .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'origins are scheme://host[:port], no path')).min(1)),
    ),
  })
  .superRefine((c, ctx) => {
    if (!c.BOSUN_CODEC_KEYS && !c.BOSUN_CODEC_ACTIVE_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['BOSUN_CODEC_KEYS'],
        message: "required: the payload keys, as a JSON object of key ids to base64 keys (the workers' keys)",
      });
    }
    checkCodecKeys(c, ctx);
    if (!c.BOSUN_CODEC_TOKEN && !c.BOSUN_AUTH_ISSUER) {
      ctx.addIssue({
        code: 'custom',
        path: ['BOSUN_CODEC_TOKEN'],
        message:
          'required (unless BOSUN_AUTH_ISSUER is set): the token operators send as `Authorization: Bearer <token>`',
      });
    }
  });
export type CodecServerConfig = z.infer<typeof codecServerConfigSchema> & {
  BOSUN_CODEC_KEYS: CodecKeys;
  BOSUN_CODEC_ACTIVE_KEY: string;
  BOSUN_CODEC_TOKEN: string | undefined;
};

export function loadCodecServerConfig(env: Record<string, string | undefined> = process.env): CodecServerConfig {
  const parsed = codecServerConfigSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues, 'codec server');
  return parsed.data as CodecServerConfig;
}

/** What may be printed about the codec server's config: never a key or the token. */
export function describeCodecServerConfig(c: CodecServerConfig): string {
  const { host, port } = c.BOSUN_CODEC_SERVER_ADDR;
  return `listening on ${host.includes(':') ? `[${host}]` : host}:${port}; origins ${c.BOSUN_CODEC_CORS_ORIGIN.join(', ')}; encrypting with key ${c.BOSUN_CODEC_ACTIVE_KEY} (keys ${c.BOSUN_CODEC_KEYS.ids.join(', ')}); bearer ${[
    ...(c.BOSUN_CODEC_TOKEN ? ['token'] : []),
    ...(c.BOSUN_AUTH_ISSUER ? [`JWTs from ${c.BOSUN_AUTH_ISSUER}`] : []),
  ].join(' or ')} required`;
}
