/**
 * `npm start`: the whole engine on one machine. Starts (or connects to) Temporal, starts a
 * worker and the web console (with the HTTP API and development tokens), runs the example
 * agent on its task, prints progress per step, the result, the run id and its link in the
 * Temporal UI. `npm start -- --port N --ui-port N` (or BOSUN_DEV_PORT / BOSUN_DEV_UI_PORT)
 * chooses the dev server's ports, `--console-port N` (BOSUN_CONSOLE_PORT) the console's;
 * `--serve` (BOSUN_SERVE=1) keeps the console and the worker up after the run, until Ctrl-C.
 * Any start-up failure ends it with exit 1 and one line saying why; SIGINT / SIGTERM stop it
 * at any point.
 *
 * The demo runs on the configured built-in provider (`builtInProviderProfiles`: API key or
 * base URL set) the example routing prefers for its strong tier; with none configured, a
 * built-in fake OpenAI server replays a recorded conversation.
 *
 * It lives in `examples/` because it is a user of Bosun, not part of it: it drives a worker
 * and a client side by side, which the worker zone itself may not (it never imports
 * `client/`).
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { startDevAuth } from '../../api/auth/dev-auth.ts';
import { startApiServer } from '../../api/server.ts';
import { connectBosunClient } from '../../client/client.ts';
import { exampleAgent, exampleTask } from '../../client/example-agent.ts';
import type { ModelRef } from '../../core/model.ts';
import { byExamplePriority, configuredProviders, configureHint, envNameOf } from '../../core/provider-profile.ts';
import { builtInProviderProfiles, demoProviderProfile } from '../../core/providers/index.ts';
import type { RunResult } from '../../core/run.ts';
import type { RunEvent } from '../../core/run-events.ts';
import { dataConverterFromConfig } from '../../worker/codec/data-converter.ts';
import { loadWorkerConfig, type WorkerConfig } from '../../worker/config.ts';
import { connectWorker, createBosunWorker } from '../../worker/create-worker.ts';
import { dynamicConfigArgs, responsiveDevServerConfig, startDevServer } from '../../worker/dev-server.ts';
import { installRuntime } from '../../worker/runtime.ts';
import { loadTelemetryEnv } from '../../worker/telemetry/config.ts';
import { tracingInterceptors, tracingOptionsFromEnv } from '../../worker/telemetry/tracing.ts';
import { startDemoProvider } from './fake-provider.ts';
import { demoApp } from './app.ts';
import { chooseConsolePort, choosePorts, demoUsage, parsePortRequest } from './dev-ports.ts';

/** The web console's static files (plain HTML, JS modules and CSS: nothing to build). */
const consoleDir = fileURLToPath(new URL('../../api/console/', import.meta.url));

const say = (line: string) => console.log(`[bosun] ${line}`);
const complain = (line: string) => console.error(`[bosun] ${line}`);

/** The demo was stopped by a signal: not a failure, but the run did not finish. */
class Stopped extends Error {}

const request = parsePortRequest(process.argv.slice(2), process.env);
if ('help' in request) {
  console.log(demoUsage);
  process.exit(0);
}
if ('error' in request) {
  complain(`${request.error}\n\n${demoUsage}`);
  process.exit(2);
}

// SIGINT / SIGTERM stop the demo at any point — while the dev server starts, while the
// worker bundles, during the run: the first one stops cleanly (at most 10 s), a second one
// at once. The Runtime is told to leave signals alone, so none is ever swallowed.
const stop = new AbortController();
let signalExitCode: number | undefined;
const signalCodes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const code = signalCodes[signal]!;
    if (stop.signal.aborted) process.exit(code);
    signalExitCode = code;
    say(`${signal}: stopping ...`);
    stop.abort(new Stopped(signal));
    setTimeout(() => {
      complain('did not stop within 10 s; exiting now');
      process.exit(code);
    }, 10_000).unref();
  });
}
/** Between start-up steps: give up now if a signal came. */
const checkpoint = () => stop.signal.throwIfAborted();

/** What was started, closed in reverse order however the demo ends. */
const cleanup: (() => Promise<unknown>)[] = [];
let runStarted = false;
try {
  // Progress lines are the output here. The runtime is quiet unless BOSUN_LOG_LEVEL is set
  // (warnings and errors, one line each); BOSUN_LOG_FORMAT=json for JSON lines,
  // BOSUN_METRICS_ADDR for a Prometheus endpoint.
  const telemetry = loadTelemetryEnv();
  installRuntime({
    logLevel: telemetry.BOSUN_LOG_LEVEL,
    metricsAddress: telemetry.BOSUN_METRICS_ADDR,
    json: telemetry.BOSUN_LOG_FORMAT === 'json',
    shutdownSignals: [],
  });
  if (telemetry.BOSUN_METRICS_ADDR) say(`metrics: http://${telemetry.BOSUN_METRICS_ADDR}/metrics`);
  const config = loadWorkerConfig();
  const stateDir = resolve(config.BOSUN_STATE_DIR);

  let uiBase: string | undefined;
  if (process.env.TEMPORAL_ADDRESS) {
    say(`using the Temporal server at ${config.TEMPORAL_ADDRESS}, namespace ${config.TEMPORAL_NAMESPACE}`);
    if (request.port !== undefined || request.uiPort !== undefined)
      say('(TEMPORAL_ADDRESS is set: no dev server is started, so --port and --ui-port do not apply)');
  } else {
    const { port, uiPort, notes } = await choosePorts(request);
    notes.forEach(say);
    const dbFilename = resolve(stateDir, 'temporal.db');
    const server = await startDevServer({
      stateDir,
      dbFilename,
      port,
      uiPort,
      namespace: config.TEMPORAL_NAMESPACE,
      extraArgs: dynamicConfigArgs(responsiveDevServerConfig),
      log: say,
    });
    cleanup.push(() => server.stop());
    checkpoint();
    config.TEMPORAL_ADDRESS = server.address;
    uiBase = server.uiUrl;
    say(`Temporal dev server at ${server.address} (CLI: ${server.cli.source}), persisted to ${dbFilename}`);
    say(`Temporal UI: ${server.uiUrl}`);
  }

  let ref = chooseModel(config);
  if (!ref) {
    const fake = await startDemoProvider();
    cleanup.push(() => fake.close());
    useFakeProvider(config, fake.baseURL);
    const hints = builtInProviderProfiles.map((p) => configureHint(p).replace(/^set /, '')).join(', ');
    say(`No provider configured (set one of: ${hints}): using the built-in FAKE provider`);
    say(`(an OpenAI-protocol server at ${fake.baseURL} replaying a recorded conversation; no real model is called)`);
    ref = { provider: demoProviderProfile.id, name: demoProviderProfile.models.default };
  }

  const app = demoApp();
  const connection = await connectWorker(config);
  cleanup.push(() => connection.close());
  checkpoint();
  say('bundling workflows and starting the worker ...');
  // The same payload encryption (BOSUN_CODEC_KEYS) and tracing for the worker and the client.
  const dataConverter = dataConverterFromConfig(config);
  const tracing = tracingInterceptors(tracingOptionsFromEnv(telemetry));
  cleanup.push(() => tracing.shutdown());
  if (dataConverter) say(`payloads encrypted (key ${config.BOSUN_CODEC_ACTIVE_KEY})`);
  // Refuses to start, naming the fix, on a namespace that does not exist or lacks Bosun's
  // search attributes.
  const worker = await createBosunWorker({
    ...app,
    connection,
    config,
    tracing,
    ...(dataConverter ? { dataConverter } : {}),
  });
  checkpoint();
  const client = await connectBosunClient({
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.BOSUN_TASK_QUEUE,
    interceptors: tracing.client,
    ...(dataConverter ? { dataConverter } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
    ...(config.TEMPORAL_TLS ? { tls: true } : {}),
    catalog: app.catalog,
  });
  cleanup.push(() => client.close());
  checkpoint();

  // The web console and the HTTP API, with development tokens (never for production: the
  // signing key is in the state folder). The tokens file has one per development user.
  const devAuth = await startDevAuth({ stateDir });
  const { port: consolePort, notes: consoleNotes } = await chooseConsolePort(request);
  consoleNotes.forEach(say);
  const api = await startApiServer({
    bosun: client,
    auth: devAuth.authenticator,
    consoleDir,
    catalog: app.catalog,
    port: consolePort,
    ...(uiBase ? { temporalUiBase: uiBase } : {}),
  });
  cleanup.push(() => api.close());
  say(`console: ${api.url}/`);
  say(`development tokens (12 h) for ${devAuth.tokens.map((t) => t.user).join(', ')}: ${devAuth.tokensFile}`);
  const approver = devAuth.tokens[0];
  if (approver)
    say(
      `sign in as ${approver.user} (${approver.tenant}, ${approver.groups.join(', ')}): ${api.url}/#/sign-in?token=${approver.token}`,
    );

  await worker.runUntil(async () => {
    say(`agent "support-example" on ${ref.provider}/${ref.name}`);
    say(`task: ${exampleTask}`);
    // The run acts for the first development user, so it is in the console for their tenant.
    const run = await client.start({
      agent: exampleAgent(ref),
      task: exampleTask,
      ...(approver ? { principal: { tenant: approver.tenant, user: approver.user } } : {}),
    });
    runStarted = true;
    say(`run ${run.runId} started`);
    const followed = await followRun(run, stop.signal);
    if (!followed) {
      say(
        `run ${run.runId} did not finish; it resumes when a worker serves task queue "${config.BOSUN_TASK_QUEUE}" again`,
      );
      return;
    }
    const { result, streamed } = followed;
    const { outcome } = result;
    console.log('');
    // A streamed answer was shown as it was written; one that was not is shown whole.
    if (outcome.kind === 'answer')
      say(
        `ANSWER${outcome.truncated ? ' (truncated)' : ''}${streamed ? ' (shown above as it streamed)' : `:\n\n${outcome.text}\n`}`,
      );
    else if (outcome.kind === 'budget_exhausted')
      say(`STOPPED: ${outcome.budget} budget of ${outcome.limit} exhausted. ${outcome.summary}`);
    else if (outcome.kind === 'escalated') say(`ESCALATED (${outcome.reason}): ${outcome.message}`);
    else if (outcome.kind === 'stopped') say(`STOPPED (${outcome.reason}): ${outcome.message}`);
    else say(`FAILED (${outcome.failure.type}): ${outcome.failure.message}`);
    say(
      `${result.steps} steps, ${result.modelCalls} model calls, ${result.toolCalls} tool calls, ` +
        `${result.usage.input} input / ${result.usage.output} output tokens, ` +
        `$${result.costUsd.toFixed(6)}${result.unpricedCalls ? ` (+${result.unpricedCalls} unpriced calls)` : ''}`,
    );
    say(`run id: ${run.runId}`);
    if (uiBase)
      say(`in the UI: ${uiBase}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(run.runId)}`);
    process.exitCode = outcome.kind === 'answer' ? 0 : 1;
    if (request.serve && !stop.signal.aborted) {
      // The worker stays up too: the console's traces and decisions go through it.
      say(`serving the console at ${api.url}/ until Ctrl-C (--serve)`);
      await new Promise((done) => stop.signal.addEventListener('abort', done, { once: true }));
    }
  });
} catch (err) {
  if (stop.signal.aborted) {
    say('stopped');
  } else {
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    complain(`${runStarted ? '' : 'cannot start: '}${err instanceof Error ? err.message : String(err)}${cause}`);
    process.exitCode = 1;
  }
} finally {
  for (const close of cleanup.reverse()) await close().catch(() => undefined);
}
// Whatever a library left open (a timer, a socket) must not keep the demo from ending.
process.exit(signalExitCode ?? process.exitCode ?? 0);

/** The demo's model: on the configured provider the example prefers for its strong tier,
 * its default model unless BOSUN_MODEL names another. */
function chooseModel(c: WorkerConfig): ModelRef | undefined {
  const [provider] = byExamplePriority(configuredProviders(builtInProviderProfiles, c), 'strong');
  return provider ? { provider: provider.id, name: process.env.BOSUN_MODEL || provider.models.default } : undefined;
}

/** Points the demo provider (the one the fake speaks) at the fake server. */
function useFakeProvider(c: WorkerConfig, baseURL: string): void {
  const values = c as Record<string, unknown>;
  const endpoint = envNameOf(demoProviderProfile, 'endpoint');
  const credential = envNameOf(demoProviderProfile, 'credential');
  if (endpoint) values[endpoint] = baseURL;
  if (credential) values[credential] = 'fake-key';
}

/** Prints the run as it happens, from its live events: each model call, tool call and
 * decision on a line, the answer's text as the model writes it. Resolves with the result
 * (and whether its answer was shown as it streamed), or `undefined` when `stopped` fires
 * first. */
async function followRun(
  run: { events(opts?: { signal?: AbortSignal }): AsyncIterable<RunEvent>; result(): Promise<RunResult> },
  stopped: AbortSignal,
): Promise<{ result: RunResult; streamed: boolean } | undefined> {
  const done = run.result();
  done.catch(() => {});
  let tokens = { input: 0, output: 0 };
  let open = false;
  let streamed = false;
  /** The text streamed so far of the call being written. */
  let written = '';
  const endLine = () => {
    if (open) process.stdout.write('\n');
    open = false;
  };
  const line = (text: string) => {
    endLine();
    say(text);
  };
  for await (const e of run.events({ signal: stopped })) {
    switch (e.type) {
      case 'model_started':
        line(`step ${e.step}: calling ${e.model}`);
        break;
      case 'model_delta':
        if (!e.text) break;
        if (!open) process.stdout.write('[bosun] … ');
        process.stdout.write(e.text.replaceAll('\n', '\n[bosun] … '));
        written += e.text;
        open = true;
        streamed = true;
        break;
      case 'model_finished':
        // The last pieces are not streamed (the call's result carries them): finish the line.
        if (open && e.text?.startsWith(written))
          process.stdout.write(e.text.slice(written.length).replaceAll('\n', '\n[bosun] … '));
        written = '';
        tokens = { input: tokens.input + e.inputTokens, output: tokens.output + e.outputTokens };
        if (e.outcome !== 'ok') line(`step ${e.step}: ${e.model} failed (${e.outcome})`);
        else if (e.toolCalls?.length) line(`step ${e.step}: model asked for ${e.toolCalls.join(', ')}`);
        else endLine();
        if (e.outcome === 'ok' && e.toolCalls?.length) streamed = false;
        say(`  (tokens so far: ${tokens.input} in / ${tokens.output} out)`);
        break;
      case 'tool_finished':
        line(
          `step ${e.step}: ${e.tool} ${e.isError ? 'failed' : 'returned'}: ${e.result.replace(/\s+/g, ' ').slice(0, 120)}`,
        );
        break;
      case 'decision':
        line(
          `step ${e.step}: ${e.entry.event.replaceAll('_', ' ')}${e.entry.tool ? ` ${e.entry.tool}` : ''} (${e.entry.by})`,
        );
        break;
    }
  }
  endLine();
  if (stopped.aborted) return undefined;
  return { result: await done, streamed };
}
