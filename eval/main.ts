/**
 * `npm run eval -- --suite <file.jsonl> [--variant <name|file.json>]... [--baseline report.json]
 *                 [--threshold 0.05] [--concurrency N] [--out report.json] [--script file.json | --real]
 *                 [--app module.ts] [--agents file.json] [--case-timeout seconds]`
 *
 * Runs a task suite as real runs and grades them (docs/evaluation.md). The Temporal server is
 * `TEMPORAL_ADDRESS` when set, else an embedded dev server on loopback started for the
 * evaluation (as `npm run bench` does); the workers serve the app's catalog (`--app`, the
 * demo's by default). The model: the suite's fake-provider script (`<suite>.script.json`
 * beside the suite, or `--script`), deterministic; `--real` uses the provider keys of the
 * environment instead (`OPENAI_API_KEY`, …).
 *
 * Exit status: 0 done (and the gate passed); 1 a variant regressed beyond the threshold
 * against `--baseline`; 2 bad input (suite line, variant, baseline, options), before any run;
 * 3 the evaluation itself broke (the server, a worker).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Catalog } from '../tools/catalog.ts';
import { bundleWorkflows } from '../worker/bundle.ts';
import { dynamicConfigArgs, responsiveDevServerConfig, startDevServer, type DevServer } from '../worker/dev-server.ts';
import type { WorkerApp } from '../worker/create-worker.ts';
import { BaselineError, parseBaseline } from './compare.ts';
import { formatReport } from './report.ts';
import { EvalSetupError, runEval } from './run-eval.ts';
import { checkScriptCovers, loadProviderScript, ScriptError, type ProviderScript } from './scripted-provider.ts';
import { parseSuite, SuiteError } from './suite.ts';
import { loadSuiteAgents, SuiteAgentsError } from './suite-agents.ts';
import { loadVariant, VariantError } from './variants.ts';

const log = (line: string) => console.error(`[eval] ${line}`);

class UsageError extends Error {}

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      suite: { type: 'string' },
      variant: { type: 'string', multiple: true },
      baseline: { type: 'string' },
      threshold: { type: 'string', default: '0.05' },
      concurrency: { type: 'string', default: '4' },
      out: { type: 'string' },
      script: { type: 'string' },
      real: { type: 'boolean', default: false },
      app: { type: 'string', default: 'examples/demo/app.ts' },
      agents: { type: 'string' },
      'case-timeout': { type: 'string', default: '120' },
    },
  });
  if (!args.suite) throw new UsageError('--suite <file.jsonl> is required');
  const threshold = Number(args.threshold);
  if (!(threshold >= 0 && threshold <= 1)) throw new UsageError(`--threshold must be in [0, 1], got ${args.threshold}`);
  const concurrency = Number(args.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError(`--concurrency must be an integer in 1..64, got ${args.concurrency}`);
  const caseTimeoutS = Number(args['case-timeout']);
  if (!(caseTimeoutS > 0)) throw new UsageError(`--case-timeout must be seconds > 0, got ${args['case-timeout']}`);

  // Everything is read and checked before anything starts.
  const suiteFile = resolve(args.suite);
  const cases = parseSuite(readFileSync(suiteFile, 'utf8'), args.suite);
  const variants = (args.variant?.length ? args.variant : ['as-defined']).map((v) => loadVariant(v));
  const names = variants.map((v) => v.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`two variants are named "${dup}"`);
  const baseline = args.baseline
    ? { report: parseBaseline(readFileSync(args.baseline, 'utf8'), args.baseline), file: args.baseline }
    : undefined;
  let script: ProviderScript | undefined;
  if (!args.real) {
    const scriptFile = args.script ?? suiteFile.replace(/\.jsonl$/, '.script.json');
    if (!existsSync(scriptFile))
      throw new UsageError(`no fake-provider script ${scriptFile}: give --script, or --real to use provider keys`);
    script = loadProviderScript(scriptFile);
    checkScriptCovers(script, cases, scriptFile);
  }
  // Agents the suite defines beside the catalog's: `--agents`, else `<suite>.agents.json` if any.
  const agentsFile = args.agents ?? suiteFile.replace(/\.jsonl$/, '.agents.json');
  if (args.agents && !existsSync(agentsFile)) throw new UsageError(`--agents ${args.agents}: no such file`);
  const suiteAgents = existsSync(agentsFile) ? loadSuiteAgents(agentsFile) : undefined;
  const appModule = (await import(pathToFileURL(resolve(args.app)).href)) as { default?: WorkerApp<Catalog> };
  const app = appModule.default;
  if (!app?.catalog || !app.catalogModule)
    throw new UsageError(`--app ${args.app}: its default export must be a worker app with a catalog and catalogModule`);

  // Tool failures the cases provoke on purpose (an unpaid order) are warnings: keep them out.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  let server: DevServer | undefined;
  const bundleDir = await mkdtemp(join(tmpdir(), 'bosun-eval-bundle-'));
  try {
    let address = process.env.TEMPORAL_ADDRESS;
    log(
      `${cases.length} cases × ${variants.length} variant(s) (${names.join(', ')}); ${script ? 'fake provider (scripted)' : 'REAL providers from the environment'}`,
    );
    const bundling = bundleWorkflows({ catalogModule: app.catalogModule });
    if (!address) {
      server = await startDevServer({
        stateDir: resolve('.bosun'),
        extraArgs: dynamicConfigArgs(responsiveDevServerConfig),
      });
      address = server.address;
      log(`dev server ${address}`);
    } else log(`Temporal at ${address}`);
    const bundlePath = join(bundleDir, 'workflows.js');
    await writeFile(bundlePath, (await bundling).code);
    const { report, exitCode } = await runEval({
      suite: args.suite,
      cases,
      variants,
      address,
      ...(process.env.TEMPORAL_NAMESPACE ? { namespace: process.env.TEMPORAL_NAMESPACE } : {}),
      bundlePath,
      app: app as WorkerApp<Catalog> & { catalog: Catalog },
      agents: suiteAgents,
      script,
      env: process.env,
      concurrency,
      caseTimeoutMs: caseTimeoutS * 1000,
      baseline,
      threshold,
      log,
    });
    console.log(formatReport(report));
    if (args.out) {
      await writeFile(args.out, `${JSON.stringify(report, null, 2)}\n`);
      log(`report written to ${args.out}`);
    }
    return exitCode;
  } finally {
    await server?.stop();
    await rm(bundleDir, { recursive: true, force: true });
  }
}

const inputErrors = [
  UsageError,
  SuiteError,
  SuiteAgentsError,
  VariantError,
  BaselineError,
  ScriptError,
  EvalSetupError,
];
try {
  process.exitCode = await main();
} catch (err) {
  if (inputErrors.some((E) => err instanceof E)) {
    console.error(
      `[eval] ${(err as Error).name === 'Error' ? '' : `${(err as Error).name}: `}${(err as Error).message}`,
    );
    process.exitCode = 2;
  } else {
    console.error(`[eval] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 3;
  }
}
