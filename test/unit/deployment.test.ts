import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { activityMetricNames } from '../../activities/metrics.ts';
import { escalationReasons } from '../../core/approvals.ts';
import { budgetKinds } from '../../core/budgets.ts';
import { failureTypeNames } from '../../core/failures.ts';
import { runOutcomeSchema } from '../../core/run.ts';
import { runHistogramLabels, runLabelValues, runMetricNames } from '../../core/run-metrics.ts';
import { searchAttributes } from '../../workflows/definitions.ts';
import { workflowMetricNames } from '../../workflows/metrics.ts';
import { workerConfigSchema } from '../../worker/config.ts';
import { runtimeOptions } from '../../worker/runtime.ts';

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
      ports?: string[];
      expose?: string[];
    }
  >;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

describe('docker-compose.yml', () => {
  it('has the whole stack: PostgreSQL, Temporal with schema setup, the UI, the codec server and workers', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'bosun-db',
      'bosun-worker',
      'codec-server',
      'grafana',
      'postgresql',
      'prometheus',
      'temporal',
      'temporal-setup',
      'temporal-ui',
    ]);
    expect(compose.services.temporal!.image).toMatch(/^temporalio\/auto-setup:/);
    expect(compose.services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
    expect(compose.services['bosun-worker']!.build).toBe('.');
  });

  it('depends only on services it defines, and mounts only volumes it declares and files that exist', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const d of deps) expect(compose.services, `${name} depends on ${d}`).toHaveProperty(d);
      for (const v of svc.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(`${root}${source}`), `${name} mounts ${v}`).toBe(true);
        else expect(compose.volumes, `${name} mounts ${v}`).toHaveProperty(source);
      }
    }
  });

  it('resolves every environment reference: each ${VAR} has a default or says it is required, each host is a service', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const values = [...Object.values(svc.environment ?? {}), ...(Array.isArray(svc.command) ? svc.command : [])];
      for (const value of values.map(String)) {
        // `$$` is a literal dollar; `${VAR:-default}`, `${VAR-default}` and `${VAR:?message}` resolve
        // without an .env file (the last by refusing to start, with its message).
        const refs = value.replaceAll('$$', '').match(/\$\{[^}]*\}|\$[A-Za-z_]\w*/g) ?? [];
        for (const ref of refs) {
          expect(ref, `${name}: ${ref} has no default`).toMatch(/^\$\{[A-Za-z_]\w*(:?-[^}]*|:?\?[^}]+)\}$/);
        }
        // A URL or host:port naming another container names a service of this file.
        const resolved = value.replace(/\$\{[A-Za-z_]\w*:?[-?]([^}]*)\}/g, '$1');
        const host = /^(?:[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?)?([a-z][a-z0-9-]*):\d+(?:\/|$)/.exec(resolved)?.[1];
        if (host && !['localhost', '0.0.0.0'].includes(host)) {
          expect(compose.services, `${name}: ${value} names host ${host}`).toHaveProperty(host);
        }
      }
    }
  });

  it('keeps the workers state in PostgreSQL (their own database on the Temporal server), not on a shared volume', () => {
    const worker = compose.services['bosun-worker']!;
    const url = new URL(worker.environment!.BOSUN_DATABASE_URL!.replace(/\$\{[A-Za-z_]\w*:-([^}]*)\}/g, '$1'));
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgresql');
    expect(url.pathname).toBe('/bosun');
    expect(workerConfigSchema.safeParse({ BOSUN_DATABASE_URL: url.toString() }).success).toBe(true);
    expect(worker.volumes ?? []).toEqual([]);
    // The database is created before any worker starts (the workers migrate its tables).
    expect(worker.depends_on).toMatchObject({ 'bosun-db': { condition: 'service_completed_successfully' } });
    expect(JSON.stringify(compose.services['bosun-db']!.command)).toContain('CREATE DATABASE bosun');
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

/** Where a compose service mounts `source` (a bind mount `./…` or a named volume). */
function mountOf(service: string, source: string): string | undefined {
  const v = compose.services[service]!.volumes?.find((m) => m.split(':')[0] === source);
  return v?.split(':')[1];
}
const readYaml = <T>(path: string) => parse(readFileSync(`${root}${path}`, 'utf8')) as T;

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
const dashboardPath = 'deploy/grafana/dashboards/bosun-dashboard.json';
const dashboard = JSON.parse(readFileSync(`${root}${dashboardPath}`, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; datasource?: { uid?: string }; definition?: string }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Bosun's metric names as the code defines them, and which of them are histograms (the
 * ones the worker's Runtime sets buckets for). */
const bosunMetrics = new Set<string>([
  ...Object.values(activityMetricNames),
  ...Object.values(workflowMetricNames),
  ...Object.values(runMetricNames),
]);
const histograms = new Set(
  Object.keys(
    (
      runtimeOptions({ logLevel: 'INFO', metricsAddress: '127.0.0.1:9464' }).telemetryOptions!.metrics as {
        prometheus: { histogramBucketOverrides: Record<string, number[]> };
      }
    ).prometheus.histogramBucketOverrides,
  ),
);
/** Tags the Temporal worker adds to every custom metric. */
const sdkTags = ['namespace', 'taskQueue', 'workflowType', 'activityType'];
const stopReasons = (
  runOutcomeSchema.options.find((o) => o.shape.kind.value === 'stopped') as unknown as {
    shape: { reason: { options: string[] } };
  }
).shape.reason.options;
/** Every value the `reason` label of `bosun_runs` can take. */
const reasons = new Set<string>(['none', ...failureTypeNames, ...escalationReasons, ...stopReasons, ...budgetKinds]);

/** Each `metric{matchers}` or bare `metric` a PromQL expression names. */
function selectors(expr: string): { metric: string; matchers: { label: string; op: string; value: string }[] }[] {
  const found = [];
  for (const m of expr.matchAll(/\b((?:bosun|temporal)_[a-z0-9_]+)\b(?:\{([^}]*)\})?/g)) {
    const matchers = [...(m[2] ?? '').matchAll(/([a-zA-Z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((x) => ({
      label: x[1]!,
      op: x[2]!,
      value: x[3]!,
    }));
    found.push({ metric: m[1]!, matchers });
  }
  return found;
}

describe('Prometheus and Grafana in docker-compose.yml', () => {
  it('scrapes every worker replica on the port its metrics endpoint listens on', () => {
    const prometheus = compose.services.prometheus!;
    const configPath = (prometheus.command as string[]).find((a) => a.startsWith('--config.file='))!.split('=')[1];
    expect(mountOf('prometheus', './deploy/prometheus/prometheus.yml')).toBe(configPath);
    const config = readYaml<{
      scrape_configs: { job_name: string; dns_sd_configs: { names: string[]; port: number }[] }[];
    }>('deploy/prometheus/prometheus.yml');
    const worker = compose.services['bosun-worker']!;
    const port = Number(worker.environment!.BOSUN_METRICS_ADDR!.split(':')[1]);
    expect(worker.expose).toContain(String(port));
    const sd = config.scrape_configs.flatMap((j) => j.dns_sd_configs);
    expect(sd).toHaveLength(1);
    expect(sd[0]!.names).toEqual(['bosun-worker']);
    expect(sd[0]!.port).toBe(port);
  });

  it('provisions Grafana with that Prometheus as the data source and the dashboard folder it mounts', () => {
    expect(mountOf('grafana', './deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const { datasources } = readYaml<{ datasources: { uid: string; type: string; url: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(datasources).toHaveLength(1);
    expect(datasources[0]!.type).toBe('prometheus');
    const url = new URL(datasources[0]!.url);
    expect(compose.services, `data source host ${url.hostname}`).toHaveProperty(url.hostname);
    expect(compose.services[url.hostname]!.ports!.some((p) => p.endsWith(`:${url.port}`))).toBe(true);

    const { providers } = readYaml<{ providers: { type: string; options: { path: string } }[] }>(
      'deploy/grafana/provisioning/dashboards/bosun.yml',
    );
    const folder = mountOf('grafana', './deploy/grafana/dashboards');
    expect(providers.map((p) => p.options.path)).toEqual([folder]);
    expect(compose.services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
      `${folder}/${dashboardPath.split('/').at(-1)}`,
    );

    // Every query goes to the provisioned data source.
    const uid = datasources[0]!.uid;
    for (const p of panels.filter((p) => p.targets)) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets!) expect(t.datasource?.uid, p.title).toBe(uid);
    }
    for (const v of dashboard.templating.list) expect(v.datasource?.uid, v.name).toBe(uid);
  });

  it('queries only metrics the code defines, as the type they are', () => {
    expect(queries.length).toBeGreaterThan(20);
    for (const { panel, expr } of queries) {
      for (const { metric } of selectors(expr)) {
        const base = metric.replace(/_(bucket|sum|count)$/, '');
        const isPart = base !== metric && histograms.has(base);
        expect(bosunMetrics.has(isPart ? base : metric), `${panel}: ${metric} is not a metric Bosun defines`).toBe(
          true,
        );
        expect(histograms.has(metric), `${panel}: the histogram ${metric} is queried without _bucket/_sum/_count`).toBe(
          false,
        );
      }
    }
    // Every per-run metric has a place on the dashboard, and the agent filter reads bosun_runs.
    const used = new Set(
      queries.flatMap((q) => selectors(q.expr).map((s) => s.metric.replace(/_(bucket|sum|count)$/, ''))),
    );
    for (const name of Object.values(runMetricNames)) expect(used, name).toContain(name);
    expect(dashboard.templating.list.find((v) => v.name === 'agent')!.definition).toBe(
      `label_values(${runMetricNames.runs}, agent)`,
    );
  });

  it('filters per-run metrics only on labels they carry, with values the code emits', () => {
    const runLabels = [...Object.keys(runLabelValues), 'agent', 'reason'];
    for (const { panel, expr } of queries) {
      for (const { metric, matchers } of selectors(expr)) {
        const base = metric.replace(/_(bucket|sum|count)$/, '');
        const allowed =
          metric === runMetricNames.runs
            ? runLabels
            : Object.values(runMetricNames).includes(base as never)
              ? [...runHistogramLabels, ...(metric.endsWith('_bucket') ? ['le'] : [])]
              : undefined;
        if (!allowed) continue;
        for (const { label, op, value } of matchers) {
          expect([...allowed, ...sdkTags], `${panel}: ${metric} has no label ${label}`).toContain(label);
          const vocabulary =
            label === 'reason' ? reasons : (runLabelValues as Record<string, readonly string[]>)[label];
          if (!vocabulary || value.startsWith('$')) continue;
          for (const v of op.endsWith('~') ? value.split('|') : [value])
            expect([...vocabulary], `${panel}: ${label}="${v}"`).toContain(v);
        }
      }
    }
  });

  it('shows each of the six business metrics of docs/metrics.md', () => {
    const stats = panels.filter((p) => p.type === 'stat').map((p) => p.title);
    for (const title of [
      'Task success rate',
      'Latency p95',
      'Latency p95 without human wait',
      'Timeout rate',
      'Cost per completed task',
      'Schema-validation success rate',
      'Escalation rate',
      'Retrieval quality',
    ])
      expect(stats).toContain(title);
    const docs = readFileSync(`${root}docs/metrics.md`, 'utf8');
    expect(docs).toContain(dashboardPath);
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
