import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { searchAttributes } from '../../workflows/definitions.ts';
import { workerConfigSchema } from '../../worker/config.ts';

/**
 * No Docker engine runs here, so the deployment files are checked statically: the compose
 * file parses, every reference in it resolves, and the Dockerfile copies what the worker
 * needs and starts a file that exists.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      command?: unknown;
      depends_on?: string[] | Record<string, unknown>;
      environment?: Record<string, string>;
      volumes?: string[];
    }
  >;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

describe('docker-compose.yml', () => {
  it('has the whole stack: PostgreSQL, Temporal with schema setup, the UI, the codec server and workers', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'bosun-worker',
      'codec-server',
      'postgresql',
      'temporal',
      'temporal-setup',
      'temporal-ui',
    ]);
    expect(compose.services.temporal!.image).toMatch(/^temporalio\/auto-setup:/);
    expect(compose.services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
    expect(compose.services['bosun-worker']!.build).toBe('.');
  });

  it('depends only on services it defines, and mounts only volumes it declares', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const d of deps) expect(compose.services, `${name} depends on ${d}`).toHaveProperty(d);
      for (const v of svc.volumes ?? [])
        expect(compose.volumes, `${name} mounts ${v}`).toHaveProperty(v.split(':')[0]!);
    }
  });

  it('configures workers only with variables the worker config knows', () => {
    const known = new Set(Object.keys(workerConfigSchema.shape));
    const extra = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'BOSUN_METRICS_ADDR', 'BOSUN_LOG_FORMAT'];
    for (const key of Object.keys(compose.services['bosun-worker']!.environment ?? {})) {
      expect(known.has(key) || extra.includes(key), `unknown worker variable ${key}`).toBe(true);
    }
  });

  it('registers the search attributes from the one list, in the namespace the workers serve', () => {
    // The list is `searchAttributes` (workflows/definitions.ts); the setup service runs the
    // program that registers it, so the compose file keeps no copy of its own.
    const setup = compose.services['temporal-setup']!;
    const command = setup.command as string[];
    expect(command).toEqual(['node', 'worker/search-attributes-main.ts']);
    expect(existsSync(`${root}${command[1]}`)).toBe(true);
    expect(setup.build).toBe('.');
    expect(setup.environment!.TEMPORAL_NAMESPACE).toBe(
      compose.services['bosun-worker']!.environment!.TEMPORAL_NAMESPACE,
    );
    expect(JSON.stringify(compose)).not.toMatch(/Bosun\w+:(Keyword|Int|Double)/);
    expect(Object.values(searchAttributes).length).toBeGreaterThan(0);
  });

  it('starts the codec server from a file that exists, behind the UI origin', () => {
    const codec = compose.services['codec-server']!;
    expect(existsSync(`${root}${(codec.command as string[])[1]}`)).toBe(true);
    expect(codec.environment!.BOSUN_CODEC_CORS_ORIGIN).toBe('http://localhost:8080');
    expect(compose.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:8081');
  });
});

describe('Dockerfile', () => {
  it('builds on Node 24 and copies every runtime folder that exists', () => {
    expect(dockerfile).toMatch(/^FROM node:24[-\w.]*$/m);
    const copied = [...dockerfile.matchAll(/^COPY (\S+) /gm)].map((m) => m[1]!);
    for (const path of copied) expect(existsSync(`${root}${path}`), `COPY ${path}`).toBe(true);
    for (const folder of ['core', 'workflows', 'activities', 'tools', 'worker', 'client'])
      expect(copied).toContain(folder);
  });

  it('runs the worker entry as a non-root user', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)![1]!;
    const [, entry] = JSON.parse(cmd) as string[];
    expect(existsSync(`${root}${entry}`)).toBe(true);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
