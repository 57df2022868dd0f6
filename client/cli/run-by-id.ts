/**
 * `status`, `result`, `audit`, `cancel`: the commands on one run (or task) named by its id —
 * what it is doing now, how it ended, every decision it recorded, stop it.
 */
import type { AuditEntry } from '../../core/approvals.ts';
import type { RunStatus } from '../../core/run.ts';
import type { CommandOf, ParseResult } from './command.ts';
import type { CommandArgs } from './flags.ts';
import {
  approvalContext,
  approvalTerms,
  formatDeadline,
  formatDuration,
  formatUnpriced,
  formatUsage,
  oneLine,
  plural,
  summarizeArgs,
  words,
} from './format.ts';
import { formatResult, resultExitCode } from './format-result.ts';
import type { Job } from './job.ts';

export function parseRunById({
  name,
  rest,
  values,
  connection,
  json,
}: CommandArgs<'status' | 'result' | 'audit' | 'cancel'>): ParseResult {
  if (rest.length === 0) return { error: `"${name}" needs a run id` };
  if (rest.length > 1) return { error: `"${name}" takes one run id, got ${rest.length} arguments` };
  const runId = rest[0]!;
  if (name === 'cancel') return { kind: 'cancel', connection, runId };
  if (name !== 'result' || values.timeout === undefined) return { kind: name, connection, runId, json };
  const seconds = Number(values.timeout);
  if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0)
    return { error: `--timeout takes a number of seconds greater than 0 (got "${values.timeout}")` };
  return { kind: 'result', connection, runId, json, timeoutMs: Math.round(seconds * 1000) };
}

/** The exit code of `result --timeout` when the run has not ended in time. */
export const resultTimeoutExitCode = 3;

/** The run's result, or `undefined` once `timeoutMs` has passed without one (the wait is
 * then cancelled, so the program ends at once). */
async function resultWithin<R>(
  result: (opts?: { signal?: AbortSignal }) => Promise<R>,
  timeoutMs: number | undefined,
): Promise<R | undefined> {
  if (timeoutMs === undefined) return result();
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      stop.abort();
      resolve(undefined);
    }, timeoutMs);
  });
  const waiting = result({ signal: stop.signal });
  // Once it has been given up on, its rejection (the cancelled wait) has no reader.
  waiting.catch(() => undefined);
  try {
    return await Promise.race([waiting, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function runByIdJob(cmd: CommandOf<'status' | 'result' | 'audit' | 'cancel'>): Job {
  const { runId } = cmd;
  return {
    runId,
    async run(client, output) {
      const handle = client.getHandle(runId);
      switch (cmd.kind) {
        case 'status': {
          const status = await handle.status();
          const tree = await statusTree((id) => client.getHandle(id).status(), status);
          output.print(
            tree.size ? { ...status, subAgents: Object.fromEntries(tree) } : status,
            formatStatus(status, tree),
          );
          return 0;
        }
        case 'result': {
          const result = await resultWithin((opts) => handle.result(opts), cmd.timeoutMs);
          if (result === undefined) {
            output.err(
              `error: run ${runId} has not ended within ${formatDuration(cmd.timeoutMs!)} (--timeout); ` +
                `"status ${runId}" shows what it is doing, "result ${runId}" waits again`,
            );
            return resultTimeoutExitCode;
          }
          output.print(result, formatResult(result));
          return resultExitCode(result);
        }
        case 'audit': {
          const entries = await handle.audit();
          output.print(entries, formatAudit(runId, entries));
          return 0;
        }
        case 'cancel':
          await handle.cancel();
          output.out(
            `cancellation requested for run ${runId}; it stops cleanly with the outcome "stopped (cancelled)"`,
          );
          return 0;
      }
    },
  };
}

/** How many of the run's recent events `status` prints (the query keeps more; `--json` has all). */
export const statusEventLines = 5;

/** The `status` query as a few lines an operator reads at a glance. */
export function formatStatus(s: RunStatus, tree: StatusTree = new Map()): string {
  const pending = s.pending.map((p) =>
    p.kind === 'model_call'
      ? `model call to ${p.model} (step ${p.step})`
      : p.kind === 'sub_agent'
        ? `sub-agent ${p.agent} (run ${p.runId}, step ${p.step})`
        : `tool ${p.tool} (call ${p.callId}, step ${p.step})`,
  );
  // Workers from before `recentEvents` and approvals existed answer without them.
  const events = (s.recentEvents ?? []).slice(-statusEventLines);
  const approvals = s.pendingApprovals ?? [];
  const escalations = s.escalations ? `, ${plural(s.escalations, 'escalation')}` : '';
  const unpriced = formatUnpriced(s.unpricedCalls, s.unpricedModels);
  return [
    `run ${s.runId} (agent ${s.agent})`,
    ...(s.parent
      ? [
          `sub-agent of run ${s.parent.runId} (agent ${s.parent.agent}, step ${s.parent.step}), depth ${s.parent.depth}${s.parent.rootRunId !== s.parent.runId ? ` in the tree of ${s.parent.rootRunId}` : ''}`,
        ]
      : []),
    `phase: ${words(s.phase)}, step ${s.step} of ${s.maxSteps}${s.outcome ? `, outcome: ${words(s.outcome)}` : ''}`,
    `usage: ${formatUsage(s.usage)}, cost $${s.costUsd.toFixed(6)}; ${plural(s.modelCalls, 'model call')}, ${plural(s.toolCalls, 'tool call')}${escalations}`,
    ...(unpriced ? [unpriced] : []),
    `pending: ${pending.length ? pending.join('; ') : 'nothing'}`,
    ...(approvals.length
      ? [
          `awaiting approval:`,
          ...approvals.flatMap((a) => [
            `  ${a.id}: ${a.tool} ${summarizeArgs(a.input)}; ${approvalTerms(a)}`,
            ...approvalContext(a),
          ]),
        ]
      : []),
    ...(s.escalation
      ? [
          `needs a human (${words(s.escalation.reason)}): ${s.escalation.message}`,
          `  escalation ${s.escalation.id}; ${formatDeadline(s.escalation.deadlineAt)}; answer, redirect or end it`,
          ...(s.escalation.lastOutput ? [`  the model's last output: ${oneLine(s.escalation.lastOutput, 300)}`] : []),
          ...(s.escalation.issues?.length ? [`  what was wrong: ${s.escalation.issues.join('; ')}`] : []),
        ]
      : []),
    ...formatChildren(s, tree),
    ...(events.length
      ? ['recent events:', ...events.map((e) => `  ${e.seq}. ${e.text}`)]
      : [`last event: ${s.lastEvent}`]),
  ].join('\n');
}

/** Sub-agents' statuses by run id, fetched below a run for `status` (`statusTree`). */
export type StatusTree = Map<string, RunStatus>;

/** How deep `status` follows sub-agents. */
const TREE_DEPTH = 4;

/** Most sub-agent statuses `status` reads (each query of a closed run replays it). */
const TREE_QUERIES = 50;

/** The statuses of a run's running sub-agents and theirs (as deep as `TREE_DEPTH`, at most
 * `TREE_QUERIES`); ended ones are shown by their parent's line. One that cannot be read is
 * left out. */
export async function statusTree(
  read: (runId: string) => Promise<RunStatus>,
  root: RunStatus,
  depth = TREE_DEPTH,
): Promise<StatusTree> {
  const tree: StatusTree = new Map();
  let budget = TREE_QUERIES;
  let level = (root.children ?? []).filter((c) => c.state === 'running');
  for (let d = 0; d < depth && level.length && budget > 0; d++) {
    const batch = level.slice(0, budget);
    budget -= batch.length;
    const read1 = await Promise.all(batch.map((c) => read(c.runId).catch(() => undefined)));
    level = [];
    for (const s of read1) {
      if (!s) continue;
      tree.set(s.runId, s);
      level.push(...(s.children ?? []).filter((c) => c.state === 'running'));
    }
  }
  return tree;
}

/** The run's sub-agents as a tree: each with its agent, step, state, cost and steps. */
function formatChildren(s: RunStatus, tree: StatusTree, indent = '  '): string[] {
  const children = s.children ?? [];
  if (children.length === 0) return [];
  const d = s.delegated;
  const head =
    indent === '  '
      ? [
          `sub-agents: ${children.length}${d ? ` (all the way down: ${plural(d.runs, 'run')}, ${plural(d.steps, 'step')}, ${plural(d.toolCalls, 'tool call')}, $${d.costUsd.toFixed(6)}${d.unaccounted ? `, ${d.unaccounted} without a result` : ''})` : ''}`,
        ]
      : [];
  return [
    ...head,
    ...children.flatMap((c, i) => {
      const last = i === children.length - 1;
      const live = tree.get(c.runId);
      const state =
        live && c.state === 'running'
          ? `running, ${words(live.phase)}, step ${live.step} of ${live.maxSteps}`
          : words(c.state);
      const cost = (live?.costUsd ?? c.costUsd) !== undefined ? ` · $${(live?.costUsd ?? c.costUsd)!.toFixed(6)}` : '';
      const waits = live?.pendingApprovals?.length
        ? ` · ${plural(live.pendingApprovals.length, 'approval')} pending`
        : '';
      return [
        `${indent}${last ? '└' : '├'} ${c.runId} (agent ${c.agent}, step ${c.step}): ${state}${cost}${waits}`,
        ...(live ? formatChildren(live, tree, `${indent}${last ? '  ' : '│ '}`) : []),
      ];
    }),
  ];
}

/** A run's audit trail, one numbered line per decision. */
export function formatAudit(runId: string, entries: AuditEntry[]): string {
  if (entries.length === 0) return `no audit entries for run ${runId}`;
  return [
    `audit of run ${runId} (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}):`,
    ...entries.map(
      (e) =>
        `  ${e.seq}. ${e.at} step ${e.step}: ${words(e.event)}${e.tool ? ` ${e.tool}` : ''}${e.callId ? ` (call ${e.callId})` : ''} by ${e.by}${e.reason ? `: ${e.reason}` : ''}${e.edit ? ` (arguments ${summarizeArgs(e.edit.from)} → ${summarizeArgs(e.edit.to)})` : ''}`,
    ),
  ].join('\n');
}
