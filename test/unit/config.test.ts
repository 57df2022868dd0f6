import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadWorkerConfig } from '../../worker/config.ts';

/** The error `loadWorkerConfig` throws for `env`, failing the test if it parses. */
function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadWorkerConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

const keys = {
  OPENAI_API_KEY: 'sk-openai-5e1d9c0a7b3f',
  ANTHROPIC_API_KEY: 'sk-ant-2c8e4a6f1b9d',
  OPENAI_COMPATIBLE_API_KEY: 'compat-7a3c9e1f5d2b',
};

describe('loadWorkerConfig', () => {
  it('defaults to a local dev server, the default namespace and the bosun queue, with no providers', () => {
    expect(loadWorkerConfig({})).toEqual({
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
      BOSUN_TASK_QUEUE: 'bosun',
      BOSUN_STATE_DIR: '.bosun',
      BOSUN_STORE_SYNC: 'normal',
      TEMPORAL_TLS: false,
      BOSUN_BREAKER_FAILURES: 5,
      BOSUN_BREAKER_OPEN_MS: 30_000,
      BOSUN_MAX_INFLIGHT_PER_MODEL: 8,
      BOSUN_RETENTION_SWEEP_HOURS: 24,
    });
  });

  it('reads the retention period in days (unset: the namespace’s) and the sweep interval in hours', () => {
    expect(loadWorkerConfig({ BOSUN_RETENTION_DAYS: '30', BOSUN_RETENTION_SWEEP_HOURS: '0' })).toMatchObject({
      BOSUN_RETENTION_DAYS: 30,
      BOSUN_RETENTION_SWEEP_HOURS: 0,
    });
    expect(loadWorkerConfig({}).BOSUN_RETENTION_DAYS).toBeUndefined();
    expect(() => loadWorkerConfig({ BOSUN_RETENTION_DAYS: '0' })).toThrow(/BOSUN_RETENTION_DAYS/);
    expect(() => loadWorkerConfig({ BOSUN_RETENTION_DAYS: 'a month' })).toThrow(/BOSUN_RETENTION_DAYS/);
    expect(() => loadWorkerConfig({ BOSUN_RETENTION_SWEEP_HOURS: '-1' })).toThrow(/BOSUN_RETENTION_SWEEP_HOURS/);
  });

  it('reads when the run store syncs: normal by default, full on request, nothing else', () => {
    expect(loadWorkerConfig({ BOSUN_STORE_SYNC: 'full' })).toMatchObject({ BOSUN_STORE_SYNC: 'full' });
    expect(() => loadWorkerConfig({ BOSUN_STORE_SYNC: 'always' })).toThrow(/BOSUN_STORE_SYNC/);
  });

  it('reads the in-flight limit per model as a positive integer', () => {
    expect(loadWorkerConfig({ BOSUN_MAX_INFLIGHT_PER_MODEL: '3' })).toMatchObject({ BOSUN_MAX_INFLIGHT_PER_MODEL: 3 });
    expect(() => loadWorkerConfig({ BOSUN_MAX_INFLIGHT_PER_MODEL: '0' })).toThrow(/BOSUN_MAX_INFLIGHT_PER_MODEL/);
  });

  it('reads breaker settings as numbers and refuses nonsense', () => {
    expect(loadWorkerConfig({ BOSUN_BREAKER_FAILURES: '3', BOSUN_BREAKER_OPEN_MS: '1500' })).toMatchObject({
      BOSUN_BREAKER_FAILURES: 3,
      BOSUN_BREAKER_OPEN_MS: 1500,
    });
    expect(() => loadWorkerConfig({ BOSUN_BREAKER_FAILURES: '0' })).toThrow(/BOSUN_BREAKER_FAILURES/);
    expect(() => loadWorkerConfig({ BOSUN_BREAKER_OPEN_MS: 'soon' })).toThrow(/BOSUN_BREAKER_OPEN_MS/);
  });

  it('reads the variables it knows and ignores the rest of the environment', () => {
    const config = loadWorkerConfig({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'prod',
      BOSUN_TASK_QUEUE: 'agents',
      OPENAI_BASE_URL: 'https://gateway.example/v1',
      HOME: '/home/me',
      ...keys,
    });
    expect(config).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'prod',
      BOSUN_TASK_QUEUE: 'agents',
      OPENAI_BASE_URL: 'https://gateway.example/v1',
      OPENAI_API_KEY: keys.OPENAI_API_KEY,
    });
    expect(config).not.toHaveProperty('HOME');
  });

  it('treats empty and blank optional variables as unset', () => {
    const config = loadWorkerConfig({
      OPENAI_API_KEY: '',
      ANTHROPIC_API_KEY: '   ',
      OPENAI_BASE_URL: '',
      BOSUN_KNOWLEDGE_DIR: ' ',
    });
    expect(config.OPENAI_API_KEY).toBeUndefined();
    expect(config.ANTHROPIC_API_KEY).toBeUndefined();
    expect(config.OPENAI_BASE_URL).toBeUndefined();
    expect(config.BOSUN_KNOWLEDGE_DIR).toBeUndefined();
  });

  it('trims optional values', () => {
    expect(loadWorkerConfig({ OPENAI_API_KEY: ' sk-x \n' }).OPENAI_API_KEY).toBe('sk-x');
  });

  it('rejects a base URL that is not a URL, naming the variable', () => {
    const err = configErrorOf({ OPENAI_BASE_URL: 'not a url' });
    expect(err.message).toBe('invalid worker configuration: OPENAI_BASE_URL: must be an http(s) URL');
    expect(err.name).toBe('ConfigError');
  });

  it('lists every bad variable at once', () => {
    const err = configErrorOf({
      ANTHROPIC_BASE_URL: 'nope',
      OPENAI_COMPATIBLE_BASE_URL: 'also nope',
      OPENAI_BASE_URL: 'ftp://x',
    });
    expect(err.message).toContain('ANTHROPIC_BASE_URL: must be an http(s) URL');
    expect(err.message).toContain('OPENAI_COMPATIBLE_BASE_URL: must be an http(s) URL');
    expect(err.message).toContain('OPENAI_BASE_URL: must be an http(s) URL');
  });

  it('never puts a key into its error message', () => {
    const err = configErrorOf({ ...keys, OPENAI_BASE_URL: 'bad' });
    for (const key of Object.values(keys)) expect(err.message).not.toContain(key);
  });

  // Known bugs in worker/config.ts (remove `.fails` once fixed):
  // `TEMPORAL_ADDRESS=` (empty, as compose files and CI often set it) yields '' instead of the
  // default. Fix: parse the defaulted strings like the optional ones, e.g.
  // `optionalString.transform((v) => v ?? '127.0.0.1:7233')`.
  it('falls back to the default address when TEMPORAL_ADDRESS is empty', () => {
    expect(loadWorkerConfig({ TEMPORAL_ADDRESS: '' }).TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
  });

  // `z.url()` accepts any scheme, so the classic `localhost:11434` (no http://) and `ftp://`
  // pass and fail only at the first model call. Fix: `z.url({ protocol: /^https?$/, ... })`.
  it('rejects base URLs that are not http(s), like a bare host:port', () => {
    expect(() => loadWorkerConfig({ OPENAI_COMPATIBLE_BASE_URL: 'localhost:11434' })).toThrow(
      /OPENAI_COMPATIBLE_BASE_URL/,
    );
    expect(() => loadWorkerConfig({ ANTHROPIC_BASE_URL: 'ftp://files.example' })).toThrow(/ANTHROPIC_BASE_URL/);
  });
});

describe('describeConfig', () => {
  it('says where Temporal is and that no provider is configured', () => {
    expect(describeConfig(loadWorkerConfig({}))).toBe(
      'temporal 127.0.0.1:7233 namespace default queue bosun; providers: none',
    );
  });

  it('names the configured providers and their base URLs but never a key', () => {
    const text = describeConfig(
      loadWorkerConfig({
        ...keys,
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:9000',
        OPENAI_COMPATIBLE_BASE_URL: 'http://localhost:11434/v1',
      }),
    );
    expect(text).toBe(
      'temporal 127.0.0.1:7233 namespace default queue bosun; providers: openai, anthropic @ http://127.0.0.1:9000, ' +
        'openai-compatible @ http://localhost:11434/v1',
    );
    for (const key of Object.values(keys)) expect(text).not.toContain(key);
  });

  it('counts a provider with only a base URL as configured', () => {
    expect(describeConfig(loadWorkerConfig({ OPENAI_BASE_URL: 'http://fake:1/v1' }))).toContain(
      'providers: openai @ http://fake:1/v1',
    );
  });
});

describe('OPENAI_COMPATIBLE_HEADERS', () => {
  it('parses a JSON object of headers for gateways', () => {
    const c = loadWorkerConfig({
      OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:8000/v1',
      OPENAI_COMPATIBLE_HEADERS: '{"X-Tenant":"acme","Authorization":"Bearer s3cret"}',
    });
    expect(c.OPENAI_COMPATIBLE_HEADERS).toEqual({ 'X-Tenant': 'acme', Authorization: 'Bearer s3cret' });
    expect(describeConfig(c)).not.toContain('s3cret');
  });

  it('rejects text that is not a JSON object of strings, naming the variable', () => {
    for (const bad of ['not json', '["a"]', '{"X-Num": 1}', '{"bad header": "x"}']) {
      expect(() => loadWorkerConfig({ OPENAI_COMPATIBLE_HEADERS: bad })).toThrow(/OPENAI_COMPATIBLE_HEADERS/);
    }
  });
});
