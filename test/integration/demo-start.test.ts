import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tryListen } from '../../examples/demo/dev-ports.ts';
import { findTemporalCli } from '../../worker/temporal-cli.ts';
import { startFakeOpenAI } from '../kit/index.ts';
import { uniqueName, useHarness } from '../helpers/harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();
const demoMain = fileURLToPath(new URL('../../examples/demo/main.ts', import.meta.url));

/** `npm start` (`node examples/demo/main.ts`) as a child process, its output collected. */
function startDemo(args: string[], env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, [demoMain, ...args], {
    env: {
      // Only what the demo needs: no provider variables of the developer's shell leak in.
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH ?? findTemporalCli(resolve('.bosun'))?.path ?? '',
      BOSUN_STATE_DIR: tempDir('bosun-demo-'),
      // The bundle the tests built from the same catalog: no seconds of webpack per start.
      BOSUN_WORKFLOW_BUNDLE: h.workflowBundlePath,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal, ms: Date.now() - started })),
  );
  return {
    child,
    exited,
    out: () => stdout,
    err: () => stderr,
    /** Resolves once stdout matches `re`. */
    waitFor: async (re: RegExp, timeoutMs = 30_000) => {
      await expect.poll(() => stdout, { timeout: timeoutMs, interval: 100 }).toMatch(re);
    },
  };
}

/** Kills the demo if a test failed before it ended. */
const reap = (demo: ReturnType<typeof startDemo>) => {
  if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGKILL');
};

describe('npm start (examples/demo/main.ts)', () => {
  it('exits 1 at once with one clear line when the namespace does not exist', async () => {
    const demo = startDemo([], { TEMPORAL_ADDRESS: h.address, TEMPORAL_NAMESPACE: 'no-such-namespace' });
    try {
      const { code, ms } = await demo.exited;
      expect(code).toBe(1);
      expect(ms).toBeLessThan(20_000);
      expect(demo.err()).toBe(
        `[bosun] cannot start: namespace "no-such-namespace" does not exist on the Temporal server at ${h.address}: ` +
          `set TEMPORAL_NAMESPACE to an existing one, or create it: temporal operator namespace create --address ${h.address} --namespace no-such-namespace\n`,
      );
    } finally {
      reap(demo);
    }
  });

  it('stops on SIGTERM in the middle of a run, saying the run did not finish', async () => {
    // A provider that takes a minute to answer: the run is mid-call when the signal comes.
    const slow = await startFakeOpenAI({
      handler: () => ({ kind: 'delay', ms: 60_000, then: { kind: 'text', text: 'too late' } }),
    });
    const taskQueue = uniqueName('demo-sigterm');
    const demo = startDemo([], {
      TEMPORAL_ADDRESS: h.address,
      BOSUN_TASK_QUEUE: taskQueue,
      OPENAI_BASE_URL: slow.baseURL,
      OPENAI_API_KEY: 'sk-test',
    });
    try {
      await demo.waitFor(/step 1: calling openai\//);
      const runId = /\[bosun\] run (\S+) started/.exec(demo.out())![1]!;
      const signalled = Date.now();
      demo.child.kill('SIGTERM');
      const { code } = await demo.exited;
      expect(code).toBe(143);
      expect(Date.now() - signalled).toBeLessThan(10_000);
      expect(demo.out()).toContain('[bosun] SIGTERM: stopping ...');
      expect(demo.out()).toContain(
        `[bosun] run ${runId} did not finish; it resumes when a worker serves task queue "${taskQueue}" again`,
      );
      expect(demo.err()).toBe('');
      await h.temporal.workflow.getHandle(runId).terminate('test over');
    } finally {
      reap(demo);
      await slow.close();
    }
  });

  it('runs the demo on a dev server of its own on the ports it is given, quietly, and exits 0', async () => {
    const [port, uiPort, consolePort] = [await tryListen(0), await tryListen(0), await tryListen(0)];
    const demo = startDemo(['--port', String(port)], {
      BOSUN_DEV_UI_PORT: String(uiPort),
      BOSUN_CONSOLE_PORT: String(consolePort),
    });
    try {
      const { code } = await demo.exited;
      expect(demo.err()).toBe('');
      expect(code).toBe(0);
      expect(demo.out()).toContain(`[bosun] Temporal dev server at 127.0.0.1:${port} `);
      expect(demo.out()).toContain(`[bosun] Temporal UI: http://127.0.0.1:${uiPort}`);
      expect(demo.out()).toContain(`[bosun] console: http://127.0.0.1:${consolePort}/\n`);
      // The answer streams: written piece by piece on one line as the model produces it.
      expect(demo.out()).toContain(
        '[bosun] … They get back $33.12: 2 × $18.40 = $36.80 for the two opened mugs, less the 10% restocking fee',
      );
      expect(demo.out()).toContain('[bosun] ANSWER (shown above as it streamed)');
      // Quiet by default: no runtime INFO lines, no stack traces.
      expect(demo.out()).not.toMatch(/\bINFO\b|\n\s+at /);
    } finally {
      reap(demo);
    }
  });

  it('with --serve, keeps the console up after the run: its page loads, the printed token signs in, Ctrl-C ends it', async () => {
    const [port, consolePort] = [await tryListen(0), await tryListen(0)];
    const demo = startDemo(['--port', String(port), '--console-port', String(consolePort), '--serve'], {
      BOSUN_DEV_UI_PORT: String(await tryListen(0)),
    });
    try {
      await demo.waitFor(/serving the console at \S+ until Ctrl-C/, 60_000);
      const base = `http://127.0.0.1:${consolePort}`;
      expect(demo.out()).toContain(`[bosun] console: ${base}/\n`);
      expect(demo.out()).toContain('[bosun] ANSWER (shown above as it streamed)');
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Bosun console</title>');
      const token = /sign in as alice \(acme, support\): \S+#\/sign-in\?token=(\S+)/.exec(demo.out())![1]!;
      const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(await me.json()).toMatchObject({ user: 'alice', tenant: 'acme', groups: ['support'] });
      const tokensFile = /development tokens \(12 h\) for alice, bob, mallory: (\S+)/.exec(demo.out())![1]!;
      const file = JSON.parse(readFileSync(tokensFile, 'utf8')) as { tokens: { user: string; token: string }[] };
      expect(file.tokens.map((t) => t.user)).toEqual(['alice', 'bob', 'mallory']);
      // The finished run is listed for its tenant.
      const runId = /\[bosun\] run id: (\S+)/.exec(demo.out())![1]!;
      const runs = await fetch(`${base}/api/v1/runs`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await runs.json()) as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toContain(runId);
      demo.child.kill('SIGINT');
      const { code } = await demo.exited;
      expect(code).toBe(130);
      expect(demo.err()).toBe('');
    } finally {
      reap(demo);
    }
  });
});
