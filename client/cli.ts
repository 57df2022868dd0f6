/**
 * `npm run bosun -- <command>`: start a run, read its status, await its result, work the
 * approvals inbox, decide approvals, resolve escalations, cancel. A thin shell over the
 * typed client (`client.ts`): parsing and formatting are pure functions, and `main` takes
 * its client factory and writers as arguments so all of it is testable without a server.
 *
 * @example
 * npm run bosun -- run --wait "How much is refunded for 2 opened mugs at $18.40?"
 * npm run bosun -- run --rag --routing example --wait "Can I return an opened mug?"
 * npm run bosun -- task --class classify --wait "My parcel never arrived"
 * npm run bosun -- status run-6f1c...
 * npm run bosun -- approvals
 * npm run bosun -- approve run-6f1c... ap-1 --as alice --groups support-leads
 */
import type { RunStats } from './stats.ts';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ServiceError, WorkflowFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { ApprovalDecisionInput, AuditEntry, EscalationResolutionInput } from '../core/approvals.ts';
import type { BudgetKind } from '../core/budgets.ts';
import type { CallRecord } from '../core/calls.ts';
import type { ModelRef, ProviderName } from '../core/model.ts';
import { builtInProviderIds, demoProviderProfile } from '../core/providers/index.ts';
import type { OutputContractInput } from '../core/output.ts';
import type { ActorInput } from '../core/principal.ts';
import { weakContextPolicySchema, type WeakContextPolicy } from '../core/retrieval.ts';
import { taskClassSchema, type RoutingTableInput, type TaskClass } from '../core/routing.ts';
import type { RunInput, RunOutcome, RunResult, RunStatus, TaskInput, TaskResult } from '../core/run.ts';
import {
  connectBosunClient,
  validateDecision,
  validateEscalationResolution,
  validateRunInput,
  validateTaskInput,
  type BosunClient,
  type DecisionAck,
  type InboxApproval,
} from './client.ts';
import { DecisionRejectedError, RunAlreadyExistsError, RunInputError } from './errors.ts';
import { exampleAgent, exampleProvidersFromEnv, exampleProviderVariables, exampleRouting, exampleTaskInstructions } from './example-agent.ts';

export const defaultModel: ModelRef = { provider: demoProviderProfile.id, name: demoProviderProfile.models.default };

export const usage = `Usage: npm run bosun -- <command> [options]

Runs:
  run [--agent agent.json] [--model provider/name | --routing file.json|example]
      [--rag [--k N] [--min-score X] [--on-weak broaden|degrade|escalate]]
      [--principal principal.json] [--output-schema schema.json]
      [--run-id ID] [--wait] [--json] <task...>
                       start an agent run (the agentic loop); prints its run id (with
                       --wait, then its outcome). --rag looks the task up in the worker's
                       knowledge base first and gives the model the best N chunks (default 4);
                       when none scores X or more, --on-weak decides (default degrade: answer
                       that the knowledge base does not cover it)
  task [--class ${taskClassSchema.options.join('|')}] [--instructions text]
       [--model provider/name | --routing file.json|example] [--output-schema schema.json]
       [--run-id ID] [--wait] [--json] <input...>
                       one model call, no tools (single request/response, default class
                       extract); prints its id (with --wait, then its outcome)
  status <runId> [--json]
                       what a run is doing now: phase, step, tokens, pending work,
                       approvals waiting and an open escalation
  result <runId> [--json]
                       wait for a run (or task) to end and print its outcome
  audit <runId> [--json]
                       every authorization and human decision of a run, in order
  cancel <runId>       cancel a run; it stops cleanly, outcome "stopped (cancelled)"

Approvals (a tool call waiting for a human):
  approvals [--limit N] [--json]
                       the inbox across running runs, oldest request first
                       (reads at most N runs, default 100)
  approve <runId> <approvalId> --as ID [--groups g1,g2] [--comment text] [--async] [--json]
  reject <runId> <approvalId> --as ID [--groups g1,g2] --reason text [--async] [--json]
  edit <runId> <approvalId> --as ID [--groups g1,g2] --input JSON [--comment text] [--async] [--json]
                       decide one; the run checks the decision (still pending, approver
                       in the right group, edited input valid and authorized) and the
                       command exits 1 with the run's reason if it refuses. --async sends
                       it by signal without waiting for the run's answer

Escalations (a run waiting for a human):
  answer <runId> <escalationId> --as ID [--groups g1,g2] [--json] <text...>
                       answer for the run; it ends with this answer
  redirect <runId> <escalationId> --as ID [--groups g1,g2] [--json] <instruction...>
                       give the run a new instruction; it carries on
  end <runId> <escalationId> --as ID [--groups g1,g2] --reason text [--json]
                       end the run, outcome "stopped (ended by human)"

Reports:
  stats [--since 24h|7d|90m|ISO date] [--agent name] [--json]
                       over runs started in the window (default 24h): task success rate,
                       latency p50/p95, timeout rate, cost per completed task, schema-
                       validation success rate, escalation rate, retrieval quality

  help                 this text

Options for every command:
  --address host:port  Temporal frontend (env TEMPORAL_ADDRESS, default 127.0.0.1:7233)
  --namespace name     Temporal namespace (env TEMPORAL_NAMESPACE, default default)
  --task-queue name    the workers' task queue (env BOSUN_TASK_QUEUE, default bosun)

Without --agent the example support agent runs on --model (default ${defaultModel.provider}/${defaultModel.name});
with --agent, --model or --routing overrides the file's models. Providers: ${builtInProviderIds.join(', ')}.
--routing takes a JSON routing table ({ "tiers": { "strong": { "chain": [...] }, "cheap": ... } })
or "example": strong and cheap tiers over the providers whose keys are set here
(${exampleProviderVariables}; ${demoProviderProfile.id} when none is).
--output-schema takes a JSON Schema the answer must match; --principal a JSON principal
({ "tenant", "user", "scopes": [...], "roles": [...] }) the run acts for.
--as names the human deciding (recorded in the audit trail); --groups lists the groups
they belong to, which the run checks against the approval's group.

Exit codes: 0 done; 1 the run failed, escalated or looped, refused the decision, does not
exist, or Temporal could not be reached; 2 bad usage or input.`;

/** Where the CLI finds Temporal and the workers. */
export interface ConnectOptions {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** `run --rag`: retrieval before the first step; absent fields take the agent's defaults. */
export interface RagOptions {
  k?: number;
  minScore?: number;
  onWeak?: WeakContextPolicy;
}

/** `--routing`: the example table over the configured providers, or a JSON file. */
export const exampleRoutingName = 'example';

export type Command =
  | { kind: 'help' }
  | {
      kind: 'run';
      connection: ConnectOptions;
      /** Path of a JSON `AgentDefinitionInput`; the example agent when absent. */
      agentFile?: string;
      model?: ModelRef;
      /** Path of a JSON `RoutingTableInput`, or `example`. */
      routing?: string;
      /** Path of a JSON `PrincipalInput`. */
      principalFile?: string;
      /** Path of a JSON Schema the answer must match. */
      outputSchemaFile?: string;
      retrieval?: RagOptions;
      runId?: string;
      task: string;
      wait: boolean;
      json: boolean;
    }
  /** A single request/response task (`completeTask`). */
  | {
      kind: 'task';
      connection: ConnectOptions;
      taskClass: TaskClass;
      /** The system prompt; `exampleTaskInstructions[taskClass]` when absent. */
      instructions?: string;
      model?: ModelRef;
      routing?: string;
      outputSchemaFile?: string;
      runId?: string;
      input: string;
      wait: boolean;
      json: boolean;
    }
  | { kind: 'status' | 'result' | 'audit'; connection: ConnectOptions; runId: string; json: boolean }
  | { kind: 'cancel'; connection: ConnectOptions; runId: string }
  | { kind: 'approvals'; connection: ConnectOptions; limit?: number; json: boolean }
  | { kind: 'stats'; connection: ConnectOptions; since: Date; agent?: string; json: boolean }
  /** approve, reject, edit: by Update, or by Signal with `async`. */
  | { kind: 'decide'; connection: ConnectOptions; runId: string; decision: ApprovalDecisionInput; async: boolean; json: boolean }
  /** answer, redirect, end an escalation. */
  | { kind: 'resolve'; connection: ConnectOptions; runId: string; resolution: EscalationResolutionInput; json: boolean };

export type ParseResult = Command | { error: string };

const options = {
  address: { type: 'string' },
  namespace: { type: 'string' },
  'task-queue': { type: 'string' },
  agent: { type: 'string' },
  model: { type: 'string' },
  'run-id': { type: 'string' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  as: { type: 'string' },
  groups: { type: 'string' },
  comment: { type: 'string' },
  reason: { type: 'string' },
  input: { type: 'string' },
  async: { type: 'boolean' },
  class: { type: 'string' },
  instructions: { type: 'string' },
  routing: { type: 'string' },
  'output-schema': { type: 'string' },
  principal: { type: 'string' },
  rag: { type: 'boolean' },
  k: { type: 'string' },
  'min-score': { type: 'string' },
  'on-weak': { type: 'string' },
  since: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const commandNames = ['run', 'task', 'status', 'result', 'audit', 'cancel', 'approvals', 'approve', 'reject', 'edit', 'answer', 'redirect', 'end', 'stats'] as const;
type CommandName = (typeof commandNames)[number];
const isCommandName = (name: string): name is CommandName => (commandNames as readonly string[]).includes(name);

const connectionFlags = ['address', 'namespace', 'task-queue'];
const actorFlags = ['as', 'groups', 'json'];
const allowedFlags: Record<CommandName, string[]> = {
  run: ['agent', 'model', 'routing', 'principal', 'output-schema', 'rag', 'k', 'min-score', 'on-weak', 'run-id', 'wait', 'json'],
  task: ['class', 'instructions', 'model', 'routing', 'output-schema', 'run-id', 'wait', 'json'],
  status: ['json'],
  result: ['json'],
  audit: ['json'],
  cancel: [],
  approvals: ['limit', 'json'],
  stats: ['since', 'agent', 'json'],
  approve: [...actorFlags, 'comment', 'async'],
  reject: [...actorFlags, 'reason', 'async'],
  edit: [...actorFlags, 'input', 'comment', 'async'],
  answer: actorFlags,
  redirect: actorFlags,
  end: [...actorFlags, 'reason'],
};

/** Parses a `provider/name` model reference; the name may itself contain slashes. */
export function parseModelRef(text: string): ModelRef | { error: string } {
  const slash = text.indexOf('/');
  const provider = builtInProviderIds.find((id) => slash > 0 && id === text.slice(0, slash));
  const name = slash > 0 ? text.slice(slash + 1) : '';
  if (!provider || !name) {
    return { error: `--model must be provider/name with provider one of ${builtInProviderIds.join(', ')} (got "${text}")` };
  }
  return { provider, name };
}

/** `--rag [--k N] [--min-score X] [--on-weak policy]`; the three need `--rag`. */
function parseRag(values: { rag?: boolean; k?: string; 'min-score'?: string; 'on-weak'?: string }): { rag?: RagOptions } | { error: string } {
  const given = (['k', 'min-score', 'on-weak'] as const).filter((f) => values[f] !== undefined);
  if (!values.rag) return given.length ? { error: `--${given[0]} needs --rag` } : {};
  const rag: RagOptions = {};
  if (values.k !== undefined) {
    const k = Number(values.k);
    if (!/^\d+$/.test(values.k) || k < 1 || k > 20) return { error: `--k must be a whole number from 1 to 20 (got "${values.k}")` };
    rag.k = k;
  }
  const min = values['min-score'];
  if (min !== undefined) {
    const minScore = Number(min);
    if (min.trim() === '' || !Number.isFinite(minScore) || minScore < 0) return { error: `--min-score must be a number >= 0 (got "${min}")` };
    rag.minScore = minScore;
  }
  const onWeak = values['on-weak'];
  if (onWeak !== undefined) {
    const policy = weakContextPolicySchema.safeParse(onWeak);
    if (!policy.success) return { error: `--on-weak must be one of ${weakContextPolicySchema.options.join(', ')} (got "${onWeak}")` };
    rag.onWeak = policy.data;
  }
  return { rag };
}

/** `--groups a, b,,c` → `['a', 'b', 'c']`. */
export const parseGroups = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);

/**
 * Turns argv (without `node` and the script) into a command, or an error to print above the
 * usage. Connection settings come from flags, then the environment, then defaults.
 */
export function parseCommand(argv: string[], env: Record<string, string | undefined> = process.env): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === 'help') return { kind: 'help' };
  if (!isCommandName(name)) return { error: `unknown command "${name}"` };

  const given = Object.keys(values).filter((k) => values[k as keyof typeof values] !== undefined);
  const stray = given.find((flag) => !connectionFlags.includes(flag) && !allowedFlags[name].includes(flag));
  if (stray) return { error: `--${stray} does not apply to "${name}"` };

  const connection: ConnectOptions = {
    address: values.address || env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: values.namespace || env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: values['task-queue'] || env.BOSUN_TASK_QUEUE || 'bosun',
  };
  const json = values.json ?? false;

  if (name === 'run' || name === 'task') {
    let model: ModelRef | undefined;
    if (values.model !== undefined) {
      const ref = parseModelRef(values.model);
      if ('error' in ref) return ref;
      model = ref;
    }
    if (model && values.routing !== undefined) return { error: 'give --model or --routing, not both' };
    if (values.routing === '') return { error: `--routing needs a JSON file or "${exampleRoutingName}"` };
    const common = {
      connection,
      ...(model ? { model } : {}),
      ...(values.routing !== undefined ? { routing: values.routing } : {}),
      ...(values['output-schema'] !== undefined ? { outputSchemaFile: values['output-schema'] } : {}),
      ...(values['run-id'] !== undefined ? { runId: values['run-id'] } : {}),
      wait: values.wait ?? false,
      json,
    };
    if (name === 'task') {
      const taskClass = taskClassSchema.safeParse(values.class ?? 'extract');
      if (!taskClass.success) return { error: `--class must be one of ${taskClassSchema.options.join(', ')} (got "${values.class}")` };
      return {
        kind: 'task',
        ...common,
        taskClass: taskClass.data,
        ...(values.instructions !== undefined ? { instructions: values.instructions } : {}),
        input: rest.join(' ').trim(),
      };
    }
    const retrieval = parseRag(values);
    if ('error' in retrieval) return retrieval;
    return {
      kind: 'run',
      ...common,
      ...(values.agent !== undefined ? { agentFile: values.agent } : {}),
      ...(values.principal !== undefined ? { principalFile: values.principal } : {}),
      ...(retrieval.rag ? { retrieval: retrieval.rag } : {}),
      task: rest.join(' ').trim(),
    };
  }

  if (name === 'stats') {
    if (rest.length > 0) return { error: `"stats" takes no arguments, got ${rest.join(' ')}` };
    const since = parseSince(values.since ?? '24h', new Date());
    if (!since) return { error: `--since takes a duration like 24h, 7d, 90m or an ISO date (got "${values.since}")` };
    return { kind: 'stats', connection, since, ...(values.agent ? { agent: values.agent } : {}), json };
  }

  if (name === 'approvals') {
    if (rest.length > 0) return { error: `"approvals" takes no arguments, got ${rest.join(' ')}` };
    if (values.limit === undefined) return { kind: 'approvals', connection, json };
    const limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || !Number.isSafeInteger(limit) || limit < 1) {
      return { error: `--limit must be a positive whole number (got "${values.limit}")` };
    }
    return { kind: 'approvals', connection, limit, json };
  }

  if (name === 'status' || name === 'result' || name === 'audit' || name === 'cancel') {
    if (rest.length === 0) return { error: `"${name}" needs a run id` };
    if (rest.length > 1) return { error: `"${name}" takes one run id, got ${rest.length} arguments` };
    return name === 'cancel' ? { kind: 'cancel', connection, runId: rest[0]! } : { kind: name, connection, runId: rest[0]!, json };
  }

  // Decisions: approve | reject | edit | answer | redirect | end <runId> <id> --as ID ...
  const target = name === 'approve' || name === 'reject' || name === 'edit' ? 'approval' : 'escalation';
  const [runId, id, ...words] = rest;
  if (runId === undefined || id === undefined) return { error: `"${name}" needs a run id and an ${target} id` };
  if (values.as === undefined) return { error: `"${name}" needs --as <id>: who is deciding` };
  const actor: ActorInput = { id: values.as, groups: parseGroups(values.groups) };
  const text = words.join(' ').trim();
  const takesText = name === 'answer' || name === 'redirect';
  if (!takesText && words.length > 0) return { error: `"${name}" takes a run id and an ${target} id, got extra arguments: ${words.join(' ')}` };
  const comment = values.comment !== undefined ? { comment: values.comment } : {};

  switch (name) {
    case 'approve':
    case 'reject':
    case 'edit': {
      let decision: ApprovalDecisionInput;
      if (name === 'approve') {
        decision = { decision: 'approve', approvalId: id, approver: actor, ...comment };
      } else if (name === 'reject') {
        if (values.reason === undefined) return { error: '"reject" needs --reason "...": the model is told why' };
        decision = { decision: 'reject', approvalId: id, approver: actor, reason: values.reason };
      } else {
        if (values.input === undefined) return { error: `"edit" needs --input '<json>': the replacement arguments` };
        let input: unknown;
        try {
          input = JSON.parse(values.input);
        } catch (err) {
          return { error: `--input is not valid JSON: ${firstLine(err)}` };
        }
        decision = { decision: 'edit', approvalId: id, approver: actor, input, ...comment };
      }
      return { kind: 'decide', connection, runId, decision, async: values.async ?? false, json };
    }
    case 'answer':
      if (!text) return { error: '"answer" needs the answer text' };
      return { kind: 'resolve', connection, runId, resolution: { action: 'answer', escalationId: id, by: actor, text }, json };
    case 'redirect':
      if (!text) return { error: '"redirect" needs the new instruction' };
      return { kind: 'resolve', connection, runId, resolution: { action: 'redirect', escalationId: id, by: actor, instruction: text }, json };
    case 'end':
      if (values.reason === undefined) return { error: '"end" needs --reason "...": why the run is ended' };
      return { kind: 'resolve', connection, runId, resolution: { action: 'end', escalationId: id, by: actor, reason: values.reason }, json };
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const words = (id: string) => id.replaceAll('_', ' ');
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();

function formatUsage(u: RunStatus['usage']): string {
  return `${u.input} input${u.cachedInput ? ` (${u.cachedInput} cached)` : ''} / ${u.output} output tokens`;
}

/** How long a tool's arguments may print in the inbox and status before they are cut. */
export const argsSummaryLength = 80;

/** A tool call's arguments on one line, cut to `max` characters. */
export function summarizeArgs(input: unknown, max = argsSummaryLength): string {
  const text = input === undefined ? '(no arguments)' : (JSON.stringify(input) ?? String(input));
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

const approvalTerms = (a: Pick<InboxApproval, 'reason' | 'group' | 'deadlineAt' | 'escalated'>) =>
  `${a.reason}; group ${a.group ?? '(any approver)'}; deadline ${a.deadlineAt}${a.escalated ? ' (escalated)' : ''}`;

/** How many of the run's recent events `status` prints (the query keeps more; `--json` has all). */
export const statusEventLines = 5;

/** The `status` query as a few lines an operator reads at a glance. */
export function formatStatus(s: RunStatus): string {
  const pending = s.pending.map((p) =>
    p.kind === 'model_call' ? `model call to ${p.model} (step ${p.step})` : `tool ${p.tool} (call ${p.callId}, step ${p.step})`,
  );
  // Workers from before `recentEvents` and approvals existed answer without them.
  const events = (s.recentEvents ?? []).slice(-statusEventLines);
  const approvals = s.pendingApprovals ?? [];
  const escalations = s.escalations ? `, ${plural(s.escalations, 'escalation')}` : '';
  return [
    `run ${s.runId} (agent ${s.agent})`,
    `phase: ${words(s.phase)}, step ${s.step} of ${s.maxSteps}${s.outcome ? `, outcome: ${words(s.outcome)}` : ''}`,
    `usage: ${formatUsage(s.usage)}; ${plural(s.modelCalls, 'model call')}, ${plural(s.toolCalls, 'tool call')}${escalations}`,
    `pending: ${pending.length ? pending.join('; ') : 'nothing'}`,
    ...(approvals.length
      ? [`awaiting approval:`, ...approvals.map((a) => `  ${a.id}: ${a.tool} ${summarizeArgs(a.input)}; ${approvalTerms(a)}`)]
      : []),
    ...(s.escalation
      ? [
          `needs a human (${words(s.escalation.reason)}): ${s.escalation.message}`,
          `  escalation ${s.escalation.id}; deadline ${s.escalation.deadlineAt}; answer, redirect or end it`,
        ]
      : []),
    ...(events.length ? ['recent events:', ...events.map((e) => `  ${e.seq}. ${e.text}`)] : [`last event: ${s.lastEvent}`]),
  ].join('\n');
}

/** The approvals inbox: one block per pending tool call, the ids first as `approve` takes them. */
export function formatApprovals(list: InboxApproval[]): string {
  if (list.length === 0) return 'no pending approvals';
  return [
    `${plural(list.length, 'pending approval')}, oldest first:`,
    ...list.flatMap((a) => [`${a.runId}  ${a.id}  ${a.tool} ${summarizeArgs(a.input)}`, `  agent ${a.agent}; ${approvalTerms(a)}`]),
    '',
    'decide with: approve|reject|edit <runId> <approvalId> --as <you>',
  ].join('\n');
}

/** A run's audit trail, one numbered line per decision. */
export function formatAudit(runId: string, entries: AuditEntry[]): string {
  if (entries.length === 0) return `no audit entries for run ${runId}`;
  return [
    `audit of run ${runId} (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}):`,
    ...entries.map(
      (e) =>
        `  ${e.seq}. ${e.at} step ${e.step}: ${words(e.event)}${e.tool ? ` ${e.tool}` : ''}${e.callId ? ` (call ${e.callId})` : ''} by ${e.by}${e.reason ? `: ${e.reason}` : ''}`,
    ),
  ].join('\n');
}

/** What a decision command prints once the run accepted (or, with --async, was sent) it. */
export function formatDecision(runId: string, decision: ApprovalDecisionInput, ack?: DecisionAck): string {
  const did = { approve: 'approved', reject: 'rejected', edit: 'approved with edited arguments' }[decision.decision];
  if (!ack) return `sent: ${decision.approvalId} ${did} on run ${runId} (by signal; "audit ${runId}" shows whether the run applied it)`;
  return `${decision.approvalId} ${did} on run ${runId}`;
}

export function formatResolution(runId: string, r: EscalationResolutionInput): string {
  const did = { answer: `answered for run ${runId}; it ends with this answer`, redirect: `redirected run ${runId}; it carries on`, end: `ended run ${runId}` }[r.action];
  return `escalation ${r.escalationId}: ${did}`;
}

function formatCost(r: Pick<RunResult, 'costUsd' | 'unpricedCalls'>): string {
  const cost = `$${r.costUsd.toFixed(6)}`;
  return r.unpricedCalls ? `${cost} (+${plural(r.unpricedCalls, 'unpriced call')})` : cost;
}

/** `90_000` → `1m 30s`; `1500` → `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${m % 60 ? ` ${m % 60}m` : ''}`;
}

/** A budget's limit in its own unit: `6 steps`, `$0.50`, `5m`. */
export function formatBudgetLimit(budget: BudgetKind, limit: number): string {
  switch (budget) {
    case 'steps':
      return plural(limit, 'step');
    case 'tool_calls':
      return plural(limit, 'tool call');
    case 'input_tokens':
      return `${limit} input tokens`;
    case 'output_tokens':
      return `${limit} output tokens`;
    case 'cost':
      return `$${Number.isInteger(limit * 100) ? limit.toFixed(2) : limit}`;
    case 'wall_clock':
      return formatDuration(limit);
  }
}

/**
 * Which models served the calls, in order of first use, with their tier when there was more
 * than one model or tier: `openai/gpt-4.1 (strong) ×1, openai/gpt-4.1-mini (cheap) ×2`.
 * Failed calls are counted apart, so a fallback shows.
 */
export function formatModelsUsed(calls: readonly CallRecord[]): string {
  const routed = new Set(calls.map((c) => `${c.model} ${c.tier}`)).size > 1;
  const seen = new Map<string, { ok: number; failed: number }>();
  for (const c of calls) {
    const key = routed ? `${c.model} (${c.tier})` : c.model;
    const n = seen.get(key) ?? { ok: 0, failed: 0 };
    if (c.outcome === 'ok') n.ok++;
    else n.failed++;
    seen.set(key, n);
  }
  return [...seen].map(([key, n]) => `${key} ×${n.ok}${n.failed ? ` (+${n.failed} failed)` : ''}`).join(', ');
}

/** The knowledge-base chunks the calls were given, each once: `refunds#3f9a0c21be, ... (index 9c1e...)`. */
export function formatRetrieved(calls: readonly CallRecord[]): string | undefined {
  const ids = [...new Set(calls.flatMap((c) => c.retrieved?.ids ?? []))];
  if (ids.length === 0) return undefined;
  const versions = [...new Set(calls.flatMap((c) => (c.retrieved ? [c.retrieved.indexVersion] : [])))];
  return `${ids.join(', ')} (index ${versions.join(', ')})`;
}

/** An outcome as its first lines: what a human came for. */
export function formatOutcome(outcome: RunOutcome): string {
  let head: string;
  switch (outcome.kind) {
    case 'answer': {
      const by = outcome.answeredBy ?? '';
      const human = by.startsWith('human:')
        ? `from ${by.slice('human:'.length)}, a human`
        : by === 'policy:not_in_knowledge_base'
          ? 'not in the knowledge base; no model was asked'
          : by.startsWith('policy:')
            ? `by policy: ${words(by.slice('policy:'.length))}`
            : '';
      const notes = [human, outcome.truncated ? 'truncated at the output token limit' : ''].filter(Boolean);
      head = `answer${notes.length ? ` (${notes.join('; ')})` : ''}:\n${outcome.text}`;
      break;
    }
    case 'budget_exhausted':
      head = `budget exhausted (${words(outcome.budget)}): the limit of ${formatBudgetLimit(outcome.budget, outcome.limit)} was reached\nsummary: ${outcome.summary}`;
      break;
    case 'escalated':
      head = `escalated to a human (${words(outcome.reason)}): ${outcome.message}`;
      if (outcome.issues?.length) head += `\nissues:\n${outcome.issues.map((i) => `  - ${i}`).join('\n')}`;
      if (outcome.lastOutput !== undefined) head += `\nlast output: ${outcome.lastOutput}`;
      break;
    case 'stopped':
      head = `stopped (${words(outcome.reason)}): ${outcome.message}\nsummary: ${outcome.summary}`;
      break;
    case 'failed': {
      const { failure } = outcome;
      const d = failure.details;
      const details = d
        ? [d.provider && `provider ${d.provider}`, d.status !== undefined && `status ${d.status}`, d.code && `code ${d.code}`, d.requestId && `request ${d.requestId}`]
            .filter(Boolean)
            .join(', ')
        : '';
      head = `failed (${failure.type}): ${failure.message}${details ? `\n  ${details}` : ''}`;
      break;
    }
  }
  return head;
}

/**
 * A run's or a single task's outcome first (what a human came for), then what it cost, which
 * models served it and which knowledge-base chunks it used.
 */
export function formatResult(r: RunResult | TaskResult): string {
  const retrieved = formatRetrieved(r.calls ?? []);
  const details = [
    ...(r.calls?.length ? [`models: ${formatModelsUsed(r.calls)}`] : []),
    ...(retrieved ? [`retrieved: ${retrieved}`] : []),
  ];
  if (!('agent' in r)) {
    return [
      formatOutcome(r.outcome),
      '',
      `${plural(r.modelCalls, 'model call')}, ${formatUsage(r.usage)}, ${formatCost(r)}`,
      ...details,
      `task ${r.runId} (${r.task})`,
    ].join('\n');
  }
  const escalations = r.escalations ? `, ${plural(r.escalations, 'escalation')}` : '';
  return [
    formatOutcome(r.outcome),
    '',
    `${plural(r.steps, 'step')}, ${plural(r.modelCalls, 'model call')}, ${plural(r.toolCalls, 'tool call')}${escalations}, ${formatUsage(r.usage)}, ${formatCost(r)}`,
    ...details,
    `run ${r.runId} (agent ${r.agent})`,
  ].join('\n');
}

/**
 * The outcomes that make the CLI exit non-zero: a failure, an escalation nobody resolved, a
 * loop of identical tool calls. A budget running out, a human ending the run and a
 * cancellation are outcomes someone chose, not errors.
 */
export const resultExitCode = (r: Pick<RunResult | TaskResult, 'outcome'>): number => {
  const { outcome } = r;
  if (outcome.kind === 'failed' || outcome.kind === 'escalated') return 1;
  if (outcome.kind === 'stopped' && outcome.reason === 'loop_detected') return 1;
  return 0;
};

/** What `main` needs from a connected client: a subset of `BosunClient`, so tests fake it easily. */
export type CliClient = Pick<BosunClient, 'start' | 'startTask' | 'getHandle' | 'pendingApprovals' | 'stats'> & { close(): Promise<void> };

export interface CliDeps {
  connect: (opts: ConnectOptions) => Promise<CliClient>;
  /** Writes one block of text to stdout / stderr (a newline is added). */
  out: (text: string) => void;
  err: (text: string) => void;
  readFile: (path: string) => Promise<string>;
  env: Record<string, string | undefined>;
}

const defaultDeps: CliDeps = {
  connect: connectBosunClient,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  readFile: (path) => readFile(path, 'utf8'),
  env: process.env,
};

/** A problem the user fixes by changing the command line or its files (exit 2). */
class UsageProblem extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readJson(read: CliDeps['readFile'], path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    throw new UsageProblem(`cannot read ${what} ${path}: ${firstLine(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageProblem(`${what} ${path} is not valid JSON: ${firstLine(err)}`);
  }
}

/**
 * The providers `--routing example` routes over: those whose credentials or URL are set in
 * the CLI's environment (the same variables the worker reads), `openai` when none is — the
 * provider `npm start`'s built-in fake speaks.
 */
export function providersFromEnv(env: Record<string, string | undefined>): ProviderName[] {
  return exampleProvidersFromEnv(env);
}

async function loadRouting(spec: string, d: Pick<CliDeps, 'readFile' | 'env'>): Promise<RoutingTableInput> {
  if (spec === exampleRoutingName) return exampleRouting(providersFromEnv(d.env));
  return (await readJson(d.readFile, spec, 'routing file')) as RoutingTableInput;
}

/** A contract name from the schema's `title` or the file name, as providers accept it. */
export function contractName(title: unknown, path: string): string {
  const base = typeof title === 'string' && title.trim() ? title : basename(path).replace(/\.[^.]*$/, '');
  return base.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64) || 'output';
}

/** Reads a JSON Schema file into an output contract, checking that the workflow will be able
 * to build its validator from it (`z.fromJSONSchema`) before anything starts. */
async function loadOutputContract(path: string, read: CliDeps['readFile']): Promise<OutputContractInput> {
  const json = await readJson(read, path, 'output schema file');
  if (!isRecord(json)) throw new UsageProblem(`output schema file ${path} must hold a JSON Schema object`);
  const { $schema: _dialect, ...schema } = json;
  try {
    z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (err) {
    throw new UsageProblem(`output schema file ${path} is not a JSON Schema Bosun can check: ${firstLine(err)}`);
  }
  return { name: contractName(json.title, path), schema };
}

/** An agent with its models replaced: `model` and `routing` are exclusive. */
function withModels(agent: Record<string, unknown>, models: { model: ModelRef } | { routing: RoutingTableInput }): Record<string, unknown> {
  const { model: _model, routing: _routing, ...rest } = agent;
  return { ...rest, ...models };
}

/** Builds and validates the run input locally, so bad input fails before any connection. */
async function buildRunInput(cmd: Extract<Command, { kind: 'run' }>, d: Pick<CliDeps, 'readFile' | 'env'>): Promise<RunInput> {
  const routing = cmd.routing !== undefined ? await loadRouting(cmd.routing, d) : undefined;
  const models = routing ? { routing } : cmd.model ? { model: cmd.model } : undefined;
  let agent: unknown = cmd.agentFile === undefined ? exampleAgent(cmd.model ?? defaultModel) : await readJson(d.readFile, cmd.agentFile, 'agent file');
  // Anything but an object is left for validation to reject with its own message.
  if (isRecord(agent)) {
    const base = models ? withModels(agent, models) : agent;
    agent = cmd.retrieval ? { ...base, retrieval: { ...(isRecord(base.retrieval) ? base.retrieval : {}), ...cmd.retrieval } } : base;
  }
  const principal = cmd.principalFile !== undefined ? await readJson(d.readFile, cmd.principalFile, 'principal file') : undefined;
  const output = cmd.outputSchemaFile !== undefined ? await loadOutputContract(cmd.outputSchemaFile, d.readFile) : undefined;
  return validateRunInput({
    agent,
    task: cmd.task,
    ...(cmd.runId !== undefined ? { runId: cmd.runId } : {}),
    ...(principal !== undefined ? { principal } : {}),
    ...(output ? { output } : {}),
  });
}

/** Builds and validates a single task's input locally. */
async function buildTaskInput(cmd: Extract<Command, { kind: 'task' }>, d: Pick<CliDeps, 'readFile' | 'env'>): Promise<TaskInput> {
  const routing = cmd.routing !== undefined ? await loadRouting(cmd.routing, d) : undefined;
  const output = cmd.outputSchemaFile !== undefined ? await loadOutputContract(cmd.outputSchemaFile, d.readFile) : undefined;
  try {
    return validateTaskInput({
      name: `task-${cmd.taskClass}`,
      taskClass: cmd.taskClass,
      instructions: cmd.instructions ?? exampleTaskInstructions[cmd.taskClass],
      input: cmd.input,
      ...(routing ? { routing } : { model: cmd.model ?? defaultModel }),
      ...(output ? { output } : {}),
      ...(cmd.runId !== undefined ? { runId: cmd.runId } : {}),
    });
  } catch (err) {
    throw err instanceof RunInputError ? new RunInputError(err.issues, 'task input') : err;
  }
}

const describeInputError = (err: RunInputError) => [`error: invalid ${err.subject}`, ...err.issues.map((i) => `  ${i.path}: ${i.message}`)].join('\n');

/**
 * Runs one CLI command and resolves with its exit code: 0 done; 1 the run failed, escalated
 * or looped, refused a decision, does not exist, or Temporal could not be reached; 2 bad
 * usage or input.
 */
export async function main(argv: string[], deps: Partial<CliDeps> = {}): Promise<number> {
  const d: CliDeps = { ...defaultDeps, ...deps };
  const cmd = parseCommand(argv, d.env);
  if ('error' in cmd) {
    d.err(`error: ${cmd.error}\n\n${usage}`);
    return 2;
  }
  if (cmd.kind === 'help') {
    d.out(usage);
    return 0;
  }

  // Everything that can be checked locally is, before connecting.
  let input: RunInput | undefined;
  let taskInput: TaskInput | undefined;
  try {
    if (cmd.kind === 'run') input = await buildRunInput(cmd, d);
    if (cmd.kind === 'task') taskInput = await buildTaskInput(cmd, d);
    if (cmd.kind === 'decide') validateDecision(cmd.decision);
    if (cmd.kind === 'resolve') validateEscalationResolution(cmd.resolution);
  } catch (err) {
    if (err instanceof RunInputError) {
      d.err(describeInputError(err));
      return 2;
    }
    if (err instanceof UsageProblem) {
      d.err(`error: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const { address, namespace } = cmd.connection;
  let client: CliClient;
  try {
    client = await d.connect(cmd.connection);
  } catch (err) {
    d.err(`error: cannot connect to Temporal at ${address} (namespace ${namespace}): ${firstLine(err)}`);
    return 1;
  }

  // Known once the run has started when the client picks the id.
  let runId = cmd.kind === 'run' ? input?.runId : cmd.kind === 'task' ? taskInput?.runId : cmd.kind === 'approvals' || cmd.kind === 'stats' ? undefined : cmd.runId;
  const json = cmd.kind !== 'cancel' && cmd.json;
  const print = (value: unknown, text: string) => d.out(json ? JSON.stringify(value, null, 2) : text);
  try {
    switch (cmd.kind) {
      case 'run': {
        const run = await client.start(input!);
        runId = run.runId;
        if (!cmd.wait) {
          print({ runId: run.runId }, run.runId);
          return 0;
        }
        if (!cmd.json) d.err(`started run ${run.runId}; waiting for its result ...`);
        const result = await run.result();
        print(result, formatResult(result));
        return resultExitCode(result);
      }
      case 'task': {
        const task = await client.startTask(taskInput!);
        runId = task.runId;
        if (!cmd.wait) {
          print({ runId: task.runId }, task.runId);
          return 0;
        }
        if (!cmd.json) d.err(`started task ${task.runId}; waiting for its result ...`);
        const result = await task.result();
        print(result, formatResult(result));
        return resultExitCode(result);
      }
      case 'stats': {
        const report = await client.stats({ since: cmd.since, ...(cmd.agent ? { agent: cmd.agent } : {}) });
        print(report, formatStats(report));
        return 0;
      }
      case 'approvals': {
        const list = await client.pendingApprovals(cmd.limit !== undefined ? { limit: cmd.limit } : undefined);
        print(list, formatApprovals(list));
        return 0;
      }
      case 'status': {
        const status = await client.getHandle(cmd.runId).status();
        print(status, formatStatus(status));
        return 0;
      }
      case 'result': {
        const result = await client.getHandle(cmd.runId).result();
        print(result, formatResult(result));
        return resultExitCode(result);
      }
      case 'audit': {
        const entries = await client.getHandle(cmd.runId).audit();
        print(entries, formatAudit(cmd.runId, entries));
        return 0;
      }
      case 'cancel':
        await client.getHandle(cmd.runId).cancel();
        d.out(`cancellation requested for run ${cmd.runId}; it stops cleanly with the outcome "stopped (cancelled)"`);
        return 0;
      case 'decide': {
        const handle = client.getHandle(cmd.runId);
        if (cmd.async) {
          await handle.decideAsync(cmd.decision);
          print({ runId: cmd.runId, approvalId: cmd.decision.approvalId, decision: cmd.decision.decision, sent: 'signal' }, formatDecision(cmd.runId, cmd.decision));
          return 0;
        }
        const ack = await handle.decide(cmd.decision);
        print(ack, formatDecision(cmd.runId, cmd.decision, ack));
        return 0;
      }
      case 'resolve': {
        const handle = client.getHandle(cmd.runId);
        const r = cmd.resolution;
        const ack =
          r.action === 'answer'
            ? await handle.answer(r.escalationId, r.by, r.text)
            : r.action === 'redirect'
              ? await handle.redirect(r.escalationId, r.by, r.instruction)
              : await handle.end(r.escalationId, r.by, r.reason);
        print(ack, formatResolution(cmd.runId, r));
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof RunInputError) {
      d.err(describeInputError(err));
      return 2;
    }
    d.err(`error: ${describeError(err, runId ?? '(new)', namespace)}`);
    return 1;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** One line for an error after connecting, saying what happened to which run. */
export function describeError(err: unknown, runId: string, namespace: string): string {
  if (err instanceof DecisionRejectedError) return err.message;
  if (err instanceof RunAlreadyExistsError) return `${err.message}; read it with "status ${err.runId}" or pick another --run-id`;
  if (err instanceof WorkflowNotFoundError) {
    // Updates, signals and cancellations of a finished run get NOT_FOUND too.
    if (/already completed/i.test(err.message)) return `run ${runId} has already ended; read its outcome with "result ${runId}"`;
    return `no run with id "${runId}" in namespace ${namespace}`;
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return `run ${runId} did not take the decision in time (no worker answered for this run: is one running?)`;
  }
  if (err instanceof WorkflowFailedError) {
    const how =
      err.cause instanceof TerminatedFailure ? 'was terminated' : err.cause instanceof CancelledFailure ? 'was cancelled' : err.cause instanceof TimeoutFailure ? 'timed out' : 'failed';
    const why = firstLine(err.cause ?? err);
    return `run ${runId} ${how}${why ? `: ${why}` : ''}`;
  }
  if (err instanceof ServiceError) {
    // The gRPC status is on the cause; its `details` is the server's own explanation.
    const cause = err.cause as { code?: unknown; details?: unknown } | undefined;
    const details = typeof cause?.details === 'string' && cause.details ? `: ${cause.details}` : '';
    const hint = cause?.code === grpcDeadlineExceeded && err.message.includes('query') ? ' (no worker answered for this run: is one running?)' : '';
    return `${firstLine(err)}${details}${hint}`;
  }
  return firstLine(err);
}

const grpcDeadlineExceeded = 4;

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}

/** `24h`, `7d`, `90m` before `now`, or an ISO date. */
export function parseSince(text: string, now: Date): Date | undefined {
  const m = /^(\d+)\s*([mhd])$/.exec(text.trim());
  if (m) return new Date(now.getTime() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']);
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(1)}%`);

/** The business figures, one per line. */
export function formatStats(r: RunStats): string {
  const outcomes = Object.entries(r.outcomes).map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`).join(', ') || 'none';
  return [
    `runs started ${r.window.since} .. ${r.window.until}${r.window.agent ? ` (agent ${r.window.agent})` : ''}: ${r.runs} (${r.running} still running)`,
    `outcomes: ${outcomes}`,
    `task success rate: ${pct(r.successRate)}`,
    `latency: p50 ${(r.latencyMs.p50 / 1000).toFixed(2)} s, p95 ${(r.latencyMs.p95 / 1000).toFixed(2)} s; timeout rate ${pct(r.timeoutRate)}`,
    `cost: $${r.costUsd.toFixed(6)} in all, ${r.costPerCompletedUsd === null ? 'n/a' : `$${r.costPerCompletedUsd.toFixed(6)}`} per completed task`,
    `schema validation: ${r.validation.runs} run(s) with a contract, ${pct(r.validation.successRate)} valid, ${pct(r.validation.firstTryRate)} on the first try`,
    `human escalation rate: ${pct(r.escalationRate)} (${r.humanAnswers} answered by a human)`,
    `retrieval: ${r.retrieval.runs} run(s) with retrieval, weak context ${pct(r.retrieval.weakRate)}, mean best score ${r.retrieval.meanTopScore ?? 'n/a'}`,
  ].join('\n');
}

