import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createBosunClient } from '../client/client.ts';
import type { RoutingTableInput } from '../core/routing.ts';
import type { AgentDefinition } from '../core/run.ts';
import { startFakeOpenAI, type FakeProviderServer } from '../testing/index.ts';
import type { Catalog } from '../tools/catalog.ts';
import { workerConfigSchema } from '../worker/config.ts';
import { createBosunWorker, type WorkerApp } from '../worker/create-worker.ts';
import { MULTI_STEP_REQUESTS, wirePrefixShare, type WireRequest } from './cache-share.ts';
import { compareToBaseline, type BaselineReport } from './compare.ts';
import { economics, summarizeVariant, type EvalReport, type VariantSummary } from './report.ts';
import { runCase, type CaseOutcome } from './run-case.ts';
import { scriptedHandler, type ProviderScript } from './scripted-provider.ts';
import type { EvalCase } from './suite.ts';
import { applyVariant, openaiTiers, type Tiers, type Variant } from './variants.ts';

/**
 * The evaluation itself, as `npm run eval` runs it and the integration test calls it: per
 * variant, a Bosun worker of its own (fresh task queue and state folder, so every variant
 * meets the same orders and no refund of one variant shows in another) serving the user's
 * catalog; with `script`, on a fake provider answering from it; every case a real run,
 * `concurrency` at a time; then the report and, with a baseline, the gate.
 */

export class EvalSetupError extends Error {
  override readonly name = 'EvalSetupError';
}

export interface EvalOptions {
  suite: string;
  cases: readonly EvalCase[];
  variants: readonly Variant[];
  /** The Temporal server (a dev server `npm run eval` started, or TEMPORAL_ADDRESS). */
  address: string;
  namespace?: string;
  /** The workflow bundle built with the app's catalog module. */
  bundlePath: string;
  /** The user's worker app: catalog, catalog module, handlers, prompts, knowledge. */
  app: WorkerApp<Catalog> & { catalog: Catalog };
  /** Agents the suite defines beside the catalog's (`<suite>.agents.json`). */
  agents?: readonly AgentDefinition[] | undefined;
  /** Scripted fake provider (deterministic); without it the workers use the provider
   * variables of `env` (real keys). */
  script?: ProviderScript | undefined;
  env?: Record<string, string | undefined>;
  tiers?: Tiers;
  concurrency: number;
  caseTimeoutMs: number;
  baseline?: { report: BaselineReport; file: string } | undefined;
  threshold: number;
  log?: (line: string) => void;
}

export interface EvalRun {
  report: EvalReport;
  /** 0: done (and the gate passed, if any); 1: a variant regressed beyond the threshold. */
  exitCode: 0 | 1;
}

/** The agent each case names — the suite's own (`suite-agents.ts`) or the catalog's — or a
 * setup error naming the unknown ones. */
export function agentsOf(
  cases: readonly EvalCase[],
  catalog: Catalog,
  suiteAgents: readonly AgentDefinition[] = [],
): Map<string, AgentDefinition> {
  const shadowed = suiteAgents.filter((a) => catalog.agent(a.name)).map((a) => a.name);
  if (shadowed.length)
    throw new EvalSetupError(`the suite defines agents the catalog defines too: ${shadowed.join(', ')}; rename them`);
  const agents = new Map<string, AgentDefinition>();
  const unknown: string[] = [];
  for (const c of cases) {
    const a = suiteAgents.find((x) => x.name === c.agent) ?? catalog.agent(c.agent);
    if (a) agents.set(c.agent, a);
    else unknown.push(`${c.id} (${c.agent})`);
  }
  if (unknown.length)
    throw new EvalSetupError(
      `cases name agents the catalog does not define: ${unknown.join(', ')}; it defines ${catalog.agents.map((a) => a.name).join(', ') || 'none'}`,
    );
  return agents;
}

export async function runEval(opts: EvalOptions): Promise<EvalRun> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const agents = agentsOf(opts.cases, opts.app.catalog, opts.agents);
  const tags = new Map(opts.cases.map((c) => [c.id, c.tags]));
  const tagsOf = (caseId: string) => tags.get(caseId) ?? [];
  // Every variant applies to every agent before anything runs: a bad variant fails now.
  const defs = opts.variants.map((v) => new Map([...agents].map(([name, a]) => [name, applyVariant(a, v)])));
  const tiers = opts.tiers ?? openaiTiers;
  const judgeRouting: RoutingTableInput = {
    tiers: { strong: { chain: [tiers.strong] }, cheap: { chain: [tiers.cheap] } },
  };
  const connection = await Connection.connect({ address: opts.address });
  const native = await NativeConnection.connect({ address: opts.address });
  const temporal = new Client({ connection, namespace: opts.namespace ?? 'default' });
  const prefix = `eval-${started.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const summaries: VariantSummary[] = [];
  const outcomes: CaseOutcome[] = [];
  try {
    for (const [i, variant] of opts.variants.entries()) {
      const stateDir = await mkdtemp(join(tmpdir(), `bosun-eval-${variant.name}-`));
      let fake: FakeProviderServer | undefined;
      try {
        if (opts.script) fake = await startFakeOpenAI({ handler: scriptedHandler(opts.script, opts.cases) });
        const taskQueue = `${prefix}-${variant.name}`;
        const config = workerConfigSchema.parse({
          ...(fake ? {} : (opts.env ?? {})),
          TEMPORAL_ADDRESS: opts.address,
          TEMPORAL_NAMESPACE: opts.namespace ?? 'default',
          BOSUN_TASK_QUEUE: taskQueue,
          BOSUN_STATE_DIR: stateDir,
          ...(fake ? { OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'eval-fake-key' } : {}),
        });
        const worker = await createBosunWorker({
          ...opts.app,
          connection: native,
          config,
          workflowBundle: { codePath: opts.bundlePath },
        });
        const bosun = createBosunClient({ client: temporal, taskQueue, catalog: opts.app.catalog });
        const since = new Date().toISOString();
        log(`variant ${variant.name}: ${opts.cases.length} cases, ${opts.concurrency} at a time`);
        const results = await worker.runUntil(
          pool(opts.cases, opts.concurrency, async (c) => {
            const o = await runCase(c, {
              bosun,
              temporal,
              variant: variant.name,
              agent: defs[i]!.get(c.agent)!,
              judgeRouting,
              timeoutMs: opts.caseTimeoutMs,
              runIdPrefix: prefix,
            });
            log(`  ${o.pass ? 'pass' : 'FAIL'} ${c.id}${o.error ? ` (${o.error})` : ''}`);
            return o;
          }),
        );
        outcomes.push(...results);
        summaries.push(
          summarizeVariant(
            variant,
            results,
            fake ? wireShares(fake.requests) : null,
            { since, until: new Date().toISOString() },
            tagsOf,
          ),
        );
      } finally {
        await fake?.close();
        await rm(stateDir, { recursive: true, force: true }).catch(() => {});
      }
    }
  } finally {
    await connection.close();
    await native.close();
  }
  const cases = outcomes.map(({ result: _r, facts: _f, ...rest }) => rest);
  const gate = opts.baseline
    ? compareToBaseline(cases, opts.baseline.report, { threshold: opts.threshold, baselineFile: opts.baseline.file })
    : undefined;
  const report: EvalReport = {
    suite: opts.suite,
    startedAt,
    wallMs: Date.now() - started,
    variants: summaries,
    economics: economics(summaries),
    cases,
    gate,
  };
  return { report, exitCode: gate && !gate.pass ? 1 : 0 };
}

/** Runs `fn` over `items`, at most `limit` at a time, results in the items' order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

/** The wire prefix share over every multi-request run, and over the multi-step ones. */
function wireShares(requests: readonly WireRequest[]) {
  return { all: wirePrefixShare(requests), multiStep: wirePrefixShare(requests, MULTI_STEP_REQUESTS) };
}
