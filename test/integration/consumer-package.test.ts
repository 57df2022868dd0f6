import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { startFakeOpenAI, type FakeProviderServer } from '../kit/index.ts';
import { uniqueName } from '../helpers/harness.ts';
import { spawnWatched, type WatchedProcess } from '../helpers/watched-process.ts';

/**
 * Bosun as a user gets it: `npm pack`ed (prepack builds dist/), installed into a project of
 * its own (examples/consumer, copied out of the repository), typechecked against the
 * shipped declarations, and run — the project's worker serving its own catalog (bundled
 * from dist/), its client starting a run with an output contract, a human approving the
 * credit through the packaged `bosun` command.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules', '.bin', 'tsc');

/** The environment of every child: this Node (24) first on PATH, so `#!/usr/bin/env node`
 * scripts (npm, the `bosun` bin) run on it; nothing Bosun- or provider-specific inherited. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(BOSUN_|TEMPORAL_|OPENAI_|ANTHROPIC_)/.test(k)) env[k] = v;
  }
  env.PATH = [dirname(process.execPath), process.env.PATH].filter(Boolean).join(delimiter);
  return { ...env, ...extra };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; resolves with its exit code and output (never rejects on a
 * non-zero exit: the test asserts on it). */
function run(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: opts.cwd, env: opts.env ?? childEnv(), maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: err && typeof err.code !== 'number' ? `${stderr}\n${err.message}` : stderr });
      },
    );
  });
}

const ok = (r: Ran, what: string) => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** The typecheck must fail on exactly this file: a worker that leaves `issue_credit` without a handler. */
const missingHandler = `import { createBosunWorker, type BosunWorkerOptions } from 'bosun/worker';
import catalog from './catalog.ts';

declare const base: Pick<BosunWorkerOptions, 'connection' | 'config'>;
export const worker = createBosunWorker({
  ...base,
  catalog,
  catalogModule: new URL('./catalog.ts', import.meta.url),
  handlers: { shipping_eta: async ({ orderId }) => ({ orderId, days: 1 }) },
});
`;

/** SIGTERM (the worker shuts down gracefully), then SIGKILL if it is still there after 10 s. */
async function stop(p: WatchedProcess): Promise<void> {
  const gone = p.kill('SIGTERM');
  const timer = setTimeout(() => void p.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

const decision = {
  orderId: 'ord_1001',
  creditedCents: 2500,
  message: 'Sorry for the wait: $25.00 of store credit is yours.',
};

describe('Bosun as a package', () => {
  it(
    'installs from its tarball into a project of its own, typechecks it, and runs its agent to a typed answer approved with the packaged CLI',
    { timeout: 300_000 },
    async () => {
      const started = Date.now();
      const timings: Record<string, number> = {};
      const lap = (name: string, since: number) => (timings[name] = Math.round((Date.now() - since) / 100) / 10);
      const dir = await mkdtemp(join(tmpdir(), 'bosun-consumer-'));
      const consumer = join(dir, 'consumer');
      const bosunBin = join(consumer, 'node_modules', '.bin', 'bosun');
      const children: WatchedProcess[] = [];
      let fake: FakeProviderServer | undefined;
      try {
        let t = Date.now();
        ok(await run('npm', ['pack', '--pack-destination', dir], { cwd: root }), 'npm pack');
        const tarball = (await readdir(dir)).find((f) => /^bosun-.*\.tgz$/.test(f));
        expect(tarball).toBeDefined();
        lap('pack (build included)', t);

        t = Date.now();
        await cp(join(root, 'examples', 'consumer'), consumer, {
          recursive: true,
          filter: (src) => !src.includes('node_modules'),
        });
        ok(
          await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball!)], {
            cwd: consumer,
          }),
          'npm install',
        );
        lap('install', t);

        // Against the shipped declarations: the project compiles, except the planted file,
        // which fails because a tool has no handler.
        t = Date.now();
        await writeFile(join(consumer, 'src', 'missing-handler.ts'), missingHandler);
        const typecheck = await run(tsc, ['-p', join(consumer, 'tsconfig.json')], { cwd: consumer });
        const errors = typecheck.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
        expect(typecheck.code, typecheck.stdout + typecheck.stderr).not.toBe(0);
        expect(
          errors.filter((l) => !l.startsWith('src/missing-handler.ts')),
          typecheck.stdout,
        ).toEqual([]);
        expect(typecheck.stdout).toMatch(/Property 'issue_credit' is missing/);
        await rm(join(consumer, 'src', 'missing-handler.ts'));
        lap('typecheck', t);

        fake = await startFakeOpenAI({
          script: [
            { kind: 'tool_calls', calls: [{ name: 'shipping_eta', args: { orderId: 'ord_1001' } }] },
            {
              kind: 'tool_calls',
              calls: [
                { name: 'issue_credit', args: { orderId: 'ord_1001', amountCents: 2500, reason: 'a week late' } },
              ],
            },
            { kind: 'text', text: JSON.stringify(decision) },
          ],
        });
        const env = childEnv({
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          BOSUN_TASK_QUEUE: uniqueName('consumer'),
          BOSUN_STATE_DIR: join(dir, 'state'),
          OPENAI_BASE_URL: fake.baseURL,
          OPENAI_API_KEY: 'sk-test-consumer',
        });

        // The project's own worker bundles its catalog from dist/ at start (seconds).
        t = Date.now();
        const worker = spawnWatched('consumer worker', process.execPath, ['src/worker.ts'], { cwd: consumer, env });
        children.push(worker);
        await worker.waitFor('consumer worker: ready', 120_000);
        lap('worker ready', t);

        t = Date.now();
        const client = spawnWatched('consumer client', process.execPath, ['src/client.ts', 'Order ord_1001 is late.'], {
          cwd: consumer,
          env,
        });
        children.push(client);
        const runId = (await client.waitFor(/consumer client: started (\S+)/))[1]!;

        // The credit is over $10: it waits in the inbox the packaged CLI reads.
        type Ask = { runId: string; id: string; tool: string; input: unknown; reason?: string; agent: string };
        let ask: Ask | undefined;
        const deadline = Date.now() + 60_000;
        while (!ask) {
          const inbox = ok(await run(bosunBin, ['approvals', '--json'], { cwd: consumer, env }), 'bosun approvals');
          ask = (JSON.parse(inbox.stdout) as { approvals: Ask[] }).approvals.find((a) => a.runId === runId);
          if (!ask) {
            if (Date.now() > deadline)
              throw new Error(`no approval for ${runId}:\n${client.output()}\n${worker.output()}`);
            await new Promise((r) => setTimeout(r, 500));
          }
        }
        expect(ask).toMatchObject({
          tool: 'issue_credit',
          agent: 'credits',
          reason: 'credit over $10',
          input: { orderId: 'ord_1001', amountCents: 2500 },
        });
        const approved = ok(
          await run(bosunBin, ['approve', runId, ask.id, '--as', 'alice'], { cwd: consumer, env }),
          'bosun approve',
        );
        expect(approved.stdout).toContain(`${ask.id} approved on run ${runId}`);

        expect(await client.exited, client.output()).toBe(0);
        lap('run', t);
        expect(JSON.parse(client.stdout())).toEqual({
          runId,
          outcome: { kind: 'answer', decision, text: JSON.stringify(decision) },
          toolCalls: 2,
        });
        // The project's handlers ran in its worker, and the contract reached the provider.
        expect(fake.requests).toHaveLength(3);
        expect(JSON.stringify(fake.requests[1]!.body)).toContain('Parcelnet');
        expect(JSON.stringify(fake.requests[2]!.body)).toContain('cr_1');
        expect(fake.requests[2]!.body).toMatchObject({
          response_format: { type: 'json_schema', json_schema: { name: 'credit_decision' } },
        });
      } finally {
        await Promise.all(children.map(stop));
        await fake?.close();
        await rm(dir, { recursive: true, force: true });
        lap('total', started);
        console.log(`[consumer-package] seconds: ${JSON.stringify(timings)}`);
      }
    },
  );
});
