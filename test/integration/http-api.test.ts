/**
 * The HTTP API end to end: a real server (`startApiServer`) over real runs on the test dev
 * server, served by one worker in this process (fake OpenAI), with development JWTs signed
 * and verified by jose. Every request goes over HTTP as a client in any language sends it;
 * one client is a Python script using only its standard library.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BosunClient } from '../../client/client.ts';
import type { PendingApproval } from '../../core/approvals.ts';
import demoCatalog from '../../examples/demo/catalog.ts';
import { startApiServer, type RunningApiServer } from '../../api/server.ts';
import { startDevAuth, type DevAuth } from '../../api/auth/dev-auth.ts';
import { startFakeOpenAI, type FakeProviderServer, type FakeReply } from '../kit/index.ts';
import { chatBody } from '../helpers/chat-body.ts';
import { fakeConfig, uniqueName, useHarness, withWorker } from '../helpers/harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const h = useHarness();
const stateDir = tempDir('bosun-http-api-');

/** The fake model: a refund of `amountCents` when the task says REFUND <cents>, then a
 * closing answer once a tool result is in. */
function reply(req: Parameters<Parameters<FakeProviderServer['setHandler']>[0] & object>[0]): FakeReply {
  const { messages } = chatBody(req);
  if (messages.some((m) => m.role === 'tool')) return { kind: 'text', text: 'Refund handled as decided.' };
  const said = messages
    .filter((m) => m.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
  const amount = /REFUND (\d+)/.exec(said);
  if (amount)
    return {
      kind: 'tool_calls',
      calls: [
        {
          name: 'refund_order',
          args: { orderId: 'ord_101', amountCents: Number(amount[1]), reason: 'arrived broken' },
        },
      ],
    };
  return { kind: 'text', text: 'Hello back.' };
}

let fake: FakeProviderServer;
let api: RunningApiServer;
let auth: DevAuth;
let bosun: BosunClient;
let stopWorker: () => void = () => {};
let workerDone: Promise<unknown> = Promise.resolve();
const token: Record<'alice' | 'bob' | 'mallory', string> = { alice: '', bob: '', mallory: '' };

beforeAll(async () => {
  fake = await startFakeOpenAI({ handler: reply });
  auth = await startDevAuth({ stateDir });
  for (const t of auth.tokens) token[t.user as keyof typeof token] = t.token;
  const config = { ...fakeConfig({ openai: fake }, uniqueName('http-api')), BOSUN_STATE_DIR: stateDir };
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  workerDone = withWorker(h, config, (ctx) => {
    bosun = ctx.bosun;
    ready();
    return new Promise<void>((r) => (stopWorker = r));
  });
  await Promise.race([started, workerDone]);
  api = await startApiServer({
    bosun,
    auth: auth.authenticator,
    catalog: demoCatalog,
    temporalUiBase: 'http://127.0.0.1:8233',
    // The tests make many requests as alice; the rate limit has its own test.
    limits: { burst: 10_000, ratePerSecond: 1_000 },
  });
});

afterAll(async () => {
  await api?.close();
  stopWorker();
  await workerDone;
  await fake?.close();
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** One request to the API as `who` (a user name, or a raw token), JSON in and out. */
async function call(
  who: keyof typeof token | { token: string } | null,
  method: string,
  path: string,
  body?: unknown,
  base = api.url,
): Promise<Reply> {
  const bearer = who === null ? undefined : typeof who === 'string' ? token[who] : who.token;
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** Starts a refund run over HTTP as alice and waits until its approval is in her inbox. */
async function refundWaitingForApproval(amountCents: number): Promise<{ runId: string; approval: PendingApproval }> {
  const started = await call('alice', 'POST', '/runs', {
    agent: 'support',
    task: `REFUND ${amountCents} for order ord_101, it arrived broken`,
    runId: uniqueName('http'),
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const runId = started.body.runId as string;
  let approval: PendingApproval | undefined;
  await expect
    .poll(
      async () => {
        const inbox = await call('alice', 'GET', '/approvals');
        approval = (inbox.body.approvals as PendingApproval[]).find((a) => a.runId === runId);
        return approval !== undefined;
      },
      { timeout: 30_000, interval: 200 },
    )
    .toBe(true);
  return { runId, approval: approval! };
}

/** The run's result over HTTP, once it has ended (409 `not_ended` until then). */
async function resultOf(runId: string): Promise<Record<string, unknown>> {
  let result: Reply | undefined;
  await expect
    .poll(async () => (result = await call('alice', 'GET', `/runs/${runId}/result`)).status, { timeout: 30_000 })
    .toBe(200);
  return result!.body;
}

/** A server-sent-events response read to its end: `id`, `event` and parsed `data` of each. */
async function readEvents(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}/api/v1${path}`, {
    headers: { authorization: `Bearer ${token.alice}`, ...headers },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((l) => l.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      return {
        id: field('id'),
        event: field('event'),
        data: JSON.parse(field('data') ?? 'null') as { offset: number },
      };
    });
}

describe('HTTP API: authentication', () => {
  it('serves its OpenAPI document without a token, generated with every route', async () => {
    const res = await call(null, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = res.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/me',
        '/api/v1/runs',
        '/api/v1/runs/{id}',
        '/api/v1/runs/{id}/result',
        '/api/v1/runs/{id}/events',
        '/api/v1/runs/{id}/trace',
        '/api/v1/runs/{id}/cancel',
        '/api/v1/approvals',
        '/api/v1/runs/{id}/approvals/{approvalId}',
        '/api/v1/escalations',
        '/api/v1/runs/{id}/escalations/{escalationId}',
        '/api/v1/stats',
      ]),
    );
    expect(paths['/api/v1/runs']!.post).toMatchObject({
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/StartRun' } } } },
    });
    // Every $ref resolves inside the document.
    const refs = [...JSON.stringify(res.body).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    const schemas = (res.body.components as { schemas: Record<string, unknown> }).schemas;
    expect(refs.filter((r) => !(r in schemas))).toEqual([]);
  });

  it('knows the caller only from a verified token: missing, expired and tampered tokens get 401', async () => {
    expect((await call('alice', 'GET', '/me')).body).toEqual({
      user: 'alice',
      tenant: 'acme',
      groups: ['support'],
      roles: ['support_agent'],
      scopes: ['orders:read', 'orders:write'],
    });
    const missing = await call(null, 'GET', '/me');
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error: 'missing_token' });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');

    const expired = await auth.issue(
      { user: 'alice', tenant: 'acme', groups: ['support'] },
      { expiresAt: Math.floor(Date.now() / 1000) - 3600 },
    );
    expect((await call({ token: expired }, 'GET', '/me')).body).toEqual({
      error: 'token_expired',
      message: 'the token has expired',
    });

    // Alice's token with her tenant changed to mallory's: the signature no longer matches.
    const [head, payload, signature] = token.alice.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, tenant: 'globex' })).toString('base64url');
    const tampered = await call({ token: `${head}.${forged}.${signature}` }, 'GET', '/approvals');
    expect(tampered.status).toBe(401);
    expect(tampered.body).toMatchObject({ error: 'invalid_token', message: expect.stringMatching(/signature/) });
  });
});

describe('HTTP API: runs and approvals', () => {
  it('starts a run by agent name, lets only the right group decide, hides it from other tenants, and audits the token user', async () => {
    const { runId, approval } = await refundWaitingForApproval(5_000);
    expect(approval).toMatchObject({
      tool: 'refund_order',
      input: { orderId: 'ord_101', amountCents: 5_000 },
      reason: 'refund over $20.00',
      group: 'support',
      canDecide: true,
      context: { principal: { tenant: 'acme', user: 'alice' }, task: expect.stringContaining('REFUND 5000') },
    });
    expect(approval.deadlineAt).toEqual(expect.any(String));

    // bob (acme, support-leads) sees it, cannot decide it.
    const bobsInbox = (await call('bob', 'GET', '/approvals')).body.approvals as (PendingApproval & {
      canDecide: boolean;
    })[];
    expect(bobsInbox.find((a) => a.runId === runId)).toMatchObject({ canDecide: false });
    const bobDecides = await call('bob', 'POST', `/runs/${runId}/approvals/${approval.id}`, { decision: 'approve' });
    expect(bobDecides.status).toBe(403);
    expect(bobDecides.body).toMatchObject({ error: 'forbidden', message: expect.stringMatching(/group support/) });

    // mallory (globex) does not see it at all: not listed, not readable, not decidable.
    expect(
      ((await call('mallory', 'GET', '/approvals')).body.approvals as PendingApproval[]).map((a) => a.runId),
    ).not.toContain(runId);
    expect(
      ((await call('mallory', 'GET', '/runs')).body.runs as { runId: string }[]).map((r) => r.runId),
    ).not.toContain(runId);
    for (const path of [`/runs/${runId}`, `/runs/${runId}/events`, `/runs/${runId}/trace`, `/runs/${runId}/audit`])
      expect((await call('mallory', 'GET', path)).status, path).toBe(404);
    const malloryDecides = await call('mallory', 'POST', `/runs/${runId}/approvals/${approval.id}`, {
      decision: 'approve',
    });
    expect(malloryDecides.status).toBe(404);
    expect(malloryDecides.body).toMatchObject({ error: 'not_found' });

    // The approver comes from the token only.
    const named = await call('alice', 'POST', `/runs/${runId}/approvals/${approval.id}`, {
      decision: 'approve',
      approver: { id: 'bob', groups: ['support'] },
    });
    expect(named.status).toBe(400);
    expect(named.body).toMatchObject({ error: 'invalid_request', issues: [{ path: 'body.approver' }] });

    // An edit with an invalid amount: 422, the field named.
    const invalid = await call('alice', 'POST', `/runs/${runId}/approvals/${approval.id}`, {
      decision: 'edit',
      input: { orderId: 'ord_101', amountCents: -5, reason: 'arrived broken' },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({
      error: 'decision_refused',
      issues: [{ path: 'body.input.amountCents', message: expect.stringMatching(/>0|positive/i) }],
    });
    // An edit the run itself refuses (over alice's role limit of $100): 422 with its reason.
    const tooMuch = await call('alice', 'POST', `/runs/${runId}/approvals/${approval.id}`, {
      decision: 'edit',
      input: { orderId: 'ord_101', amountCents: 50_000, reason: 'arrived broken' },
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({
      error: 'decision_refused',
      message: expect.stringMatching(/not authorized: role support_agent may refund at most \$100\.00/),
    });

    // The run is listed for alice, with its status, and links to the Temporal UI.
    const listed = await call('alice', 'GET', '/runs?status=waiting_for_approval&agent=support&limit=100');
    expect((listed.body.runs as { runId: string }[]).map((r) => r.runId)).toContain(runId);
    const status = await call('alice', 'GET', `/runs/${runId}`);
    expect(status.body).toMatchObject({
      runId,
      agent: 'support',
      phase: 'waiting_for_approval',
      temporalUiUrl: `http://127.0.0.1:8233/namespaces/default/workflows/${runId}`,
    });
    expect((await call('alice', 'GET', `/runs/${runId}/result`)).body).toMatchObject({ error: 'not_ended' });

    const approved = await call('alice', 'POST', `/runs/${runId}/approvals/${approval.id}`, {
      decision: 'edit',
      input: { orderId: 'ord_101', amountCents: 4_000, reason: 'arrived broken' },
      comment: 'partial refund',
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toEqual({ approvalId: approval.id, decision: 'edit', by: 'alice' });

    const result = await resultOf(runId);
    expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Refund handled as decided.' });
    const audit = (await call('alice', 'GET', `/runs/${runId}/audit`)).body.audit as Record<string, unknown>[];
    expect(audit).toContainEqual(
      expect.objectContaining({ event: 'edited', by: 'human:alice', reason: 'partial refund', tool: 'refund_order' }),
    );
    // Deciding again once the run has ended: 409, not "no run".
    const late = await call('alice', 'POST', `/runs/${runId}/approvals/${approval.id}`, { decision: 'approve' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ error: 'already_ended' });
    // Figures are the tenant's own: globex has none of acme's runs. (This file's agent only:
    // other files share the dev server, and some write acme runs with codec keys this
    // server does not have, which it reports as an error rather than skip.)
    expect(
      ((await call('alice', 'GET', '/stats?since=1h&agent=support')).body as { runs: number }).runs,
    ).toBeGreaterThan(0);
    expect((await call('mallory', 'GET', '/stats?since=1h&agent=support')).body).toMatchObject({ runs: 0 });
    // The trace of the refund's step.
    const trace = await call('alice', 'GET', `/runs/${runId}/trace`);
    expect(trace.status).toBe(200);
    expect(JSON.stringify(trace.body)).toContain('refund_order');
  });

  it('streams the run events as server-sent events to the end, and resumes after Last-Event-ID', async () => {
    const { runId, approval } = await refundWaitingForApproval(3_000);
    // Follow live from the start while the decision is made.
    const live = readEvents(`/runs/${runId}/events`);
    await new Promise((r) => setTimeout(r, 300));
    expect(
      (await call('alice', 'POST', `/runs/${runId}/approvals/${approval.id}`, { decision: 'approve' })).status,
    ).toBe(200);
    const events = await live;
    expect(events.at(0)).toMatchObject({ id: '0', event: 'run_started' });
    expect(events.at(-1)).toMatchObject({ event: 'run_ended' });
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i));
    expect(events.every((e) => e.data.offset === Number(e.id))).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ event: 'decision' }));

    const from = 3;
    const resumed = await readEvents(`/runs/${runId}/events`, { 'last-event-id': String(from) });
    expect(resumed.map((e) => e.id)).toEqual(events.slice(from + 1).map((e) => e.id));
    const fromQuery = await readEvents(`/runs/${runId}/events?from=${from}`);
    expect(fromQuery.at(0)?.id).toBe(String(from));
  });

  it('answers bad requests with the issues, field by field', async () => {
    const bad = await call('alice', 'POST', '/runs', { agent: 'support', task: '', scopes: ['orders:delete'] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_request', issues: [{ path: 'body.task' }] });
    const widened = await call('alice', 'POST', '/runs', { agent: 'support', task: 'hi', scopes: ['orders:delete'] });
    expect(widened.status).toBe(403);
    expect(widened.body).toMatchObject({ error: 'scope_not_granted' });
    const unknownAgent = await call('alice', 'POST', '/runs', { agent: 'nobody', task: 'hi' });
    expect(unknownAgent.status).toBe(400);
    expect(unknownAgent.body).toMatchObject({
      issues: [{ path: 'body.agent', message: expect.stringMatching(/unknown agent/) }],
    });
    expect((await call('alice', 'GET', '/runs?limit=0')).body).toMatchObject({ issues: [{ path: 'query.limit' }] });
    expect((await call('alice', 'GET', '/nothing-here')).status).toBe(404);
  });
});

describe('HTTP API: limits', () => {
  it('refuses a body over the size limit with 413 and a burst over the rate with 429 and retry-after', async () => {
    const small = await startApiServer({
      bosun,
      auth: auth.authenticator,
      limits: { bodyBytes: 1_024, burst: 3, ratePerSecond: 0.5 },
    });
    try {
      const big = await call('bob', 'POST', '/runs', { agent: 'support', task: 'x'.repeat(2_000) }, small.url);
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ error: 'payload_too_large' });
      const statuses: number[] = [];
      let limited: Reply | undefined;
      for (let i = 0; i < 4; i++) {
        const r = await call('bob', 'GET', '/me', undefined, small.url);
        statuses.push(r.status);
        if (r.status === 429) limited = r;
      }
      // The 413 took the first token: two more pass, then the bucket is empty.
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(limited!.body).toMatchObject({ error: 'rate_limited' });
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Another identity has its own bucket.
      expect((await call('alice', 'GET', '/me', undefined, small.url)).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

const python = ['python3', 'python'].find((cmd) => spawnSync(cmd, ['--version']).status === 0);
const pythonScript = fileURLToPath(new URL('../../examples/http-api/approve_refund.py', import.meta.url));

describe('HTTP API from another language', () => {
  it.skipIf(!python)(
    'a Python script (standard library only) starts a run and approves it with a token: the run completes (needs python3 on PATH: apt-get install python3)',
    async () => {
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(
          python!,
          [pythonScript, api.url, token.alice, 'REFUND 2500 for order ord_101, from Python'],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { PATH: process.env.PATH ?? '' },
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
      expect(out.code, out.stderr).toBe(0);
      const lines = out.stdout.trim().split('\n');
      expect(lines[1]).toMatch(/^approving \S+ refund_order \{"orderId": "ord_101", "amountCents": 2500/);
      const result = JSON.parse(lines.at(-1)!) as { runId: string; outcome: unknown };
      expect(result.outcome).toMatchObject({ kind: 'answer', text: 'Refund handled as decided.' });
      const audit = (await call('alice', 'GET', `/runs/${result.runId}/audit`)).body.audit as Record<string, unknown>[];
      expect(audit).toContainEqual(
        expect.objectContaining({ event: 'approved', by: 'human:alice', reason: 'approved from Python' }),
      );
    },
  );
});
