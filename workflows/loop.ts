import { log } from '@temporalio/workflow';
import { classifyAgentStep } from '../core/routing.ts';
import type { EscalationReason } from '../core/approvals.ts';
import { checkOutput } from '../core/output.ts';
import type { RunOutcome, RunResult } from '../core/run.ts';
import { toolFingerprint, toolsetFingerprint } from '../tools/fingerprint.ts';
import { offeredTools, toolSpec } from '../tools/index.ts';
import { catalog } from './catalog.ts';
import { escalate } from './escalate.ts';
import { delegatePins } from './delegation.ts';
import { mcpPins } from './mcp-tools.ts';
import { createHumanDesk, type HumanDesk } from './human.ts';
import { createModelCaller, type UnroutedRequest } from './model-caller.ts';
import { createProgress, type Progress } from './progress.ts';
import { createRunEvents } from './run-events.ts';
import { resultOf, type RunState } from './run-state.ts';
import { costReservationRefused } from './stops.ts';
import { outcomeReason } from '../core/run-metrics.ts';
import { clip } from '../core/run-events.ts';
import { recordRunEnd } from './run-metrics.ts';

/** One agent run as its steps see it: the state, the human desk, what operators see, and
 * the model caller with the request every step shares. */
export interface Loop {
  run: RunState;
  desk: HumanDesk;
  progress: Progress;
  caller: ReturnType<typeof createModelCaller>;
  request: UnroutedRequest;
}

/** Wires the run's parts: the human desk and what operators see, the model caller (which
 * reserves each call's worst-case cost against the budget) and the shared request. */
export function startLoop(run: RunState): Loop {
  // The desk tells progress of every change; progress reads the desk (only once both exist).
  const progress = createProgress(run, () => desk);
  const resume = run.input.resume;
  const events = createRunEvents({ ...(resume?.events ? { mark: resume.events } : {}), step: () => run.status.step });
  run.events = events;
  events.publish({ type: 'run_started', agent: run.agent.name, continuation: run.runs });
  const contract = run.input.output;
  const desk = createHumanDesk({
    principal: run.principal,
    // A human's answer to a run with an output contract must match it (refused before history).
    ...(contract
      ? {
          checkAnswer: (text: string) => {
            const c = checkOutput(contract, text);
            return c.ok ? undefined : c.issues;
          },
        }
      : {}),
    step: () => run.status.step,
    onChange: () => progress.publish(),
    onRecord: (entry) => events.publish({ type: 'decision', entry }),
    ...(resume
      ? {
          restore: {
            audit: resume.audit,
            escalations: resume.escalations,
            ...(resume.humanWaitMs !== undefined ? { humanWaitMs: resume.humanWaitMs } : {}),
            ...(resume.humanTimeouts !== undefined ? { humanTimeouts: resume.humanTimeouts } : {}),
          },
        }
      : {}),
  });
  const { agent } = run;
  const tools = catalog();
  const { offered, hidden } = offeredTools(agent.tools, run.principal, tools.tool);
  run.offered = offered;
  // Each offered tool's version, pinned at start; every call records the set it offered.
  const pins = Object.fromEntries(offered.map((name) => [name, toolFingerprint(tools.tool(name)!)]));
  run.tools ??= pins;
  if (hidden.length)
    run.note(`tools not offered to ${run.principal.user}: ${hidden.map((h) => `${h.name} (${h.reason})`).join(', ')}`);
  let toolset:
    { mcp: Readonly<Record<string, string>>; delegates: Readonly<Record<string, string>>; value: string } | undefined;
  const caller = createModelCaller({
    runId: run.id,
    config: agent,
    totals: run.totals,
    retrieved: () => run.retrieved,
    // Read at each call: MCP tools join the offer when the run opens (mcp-tools.ts). Hashed
    // again only when they did: each pin set is built once, so its identity says it changed.
    get toolset() {
      const mcp = mcpPins(run);
      const delegates = delegatePins(run);
      if (toolset?.mcp !== mcp || toolset.delegates !== delegates)
        toolset = { mcp, delegates, value: toolsetFingerprint({ ...pins, ...mcp, ...delegates }) };
      return toolset.value;
    },
    events,
    stream: run.input.stream !== false,
    onCall: ({ phase, model, record }) => {
      run.status.model = model;
      if (phase === 'start') {
        run.status.pending = [{ kind: 'model_call', step: run.status.step, model }];
        run.note(`step ${run.status.step}: calling ${model}`);
      } else if (record && record.outcome !== 'ok') {
        run.note(`step ${run.status.step}: ${model} failed (${record.outcome})`);
      }
    },
    reserve: (worstCase, model) => {
      const reason = costReservationRefused(run, worstCase, `${model.provider}/${model.name}`);
      if (reason) desk.record({ event: 'budget_refused', by: 'system', reason });
      return reason;
    },
  });
  const request: UnroutedRequest = {
    system: '',
    tools: offered.map((name) => toolSpec(tools.tool(name)!)),
    maxOutputTokens: agent.maxOutputTokens,
    ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
    ...(contract ? { output: { name: contract.name, schema: contract.schema } } : {}),
  };
  run.nextCallUsd = (extraChars) =>
    caller.worstCaseFor(
      classifyAgentStep(run.status.step + 1, agent.maxSteps).taskClass,
      request,
      run.conv.chars + extraChars,
    );
  progress.publish();
  return { run, desk, progress, caller, request };
}

/** An escalation: the outcome that ends the run, or nothing when a human redirected it. */
export async function askHuman(
  loop: Loop,
  reason: EscalationReason,
  message: string,
  extra?: { lastOutput?: string; issues?: string[] },
) {
  const next = await escalate(loop.run, loop.desk, reason, message, extra);
  return next === 'continue' ? undefined : next;
}

/** Ends the run: the outcome in status, search attributes and memo, and the result. */
export function finish(loop: Loop, ended: RunOutcome): RunResult {
  // The run already retried what could be retried: a failure that ended it is final.
  const outcome: RunOutcome =
    ended.kind === 'failed' ? { ...ended, failure: { ...ended.failure, retryable: false } } : ended;
  const { run } = loop;
  run.status.phase = 'completed';
  run.status.pending = [];
  run.status.outcome = outcome.kind;
  run.note(`run ended: ${outcome.kind}${outcomeDetail(outcome)}`);
  if (outcome.kind === 'answer') run.answeredBy = outcome.answeredBy ?? 'model';
  run.endReason = outcomeReason(outcome);
  loop.progress.publish({
    word: outcome.kind === 'answer' ? 'completed' : outcome.kind,
    ...(outcome.kind === 'failed' ? { failureType: outcome.failure.type } : {}),
    outcome,
  });
  const text = outcome.kind === 'answer' ? clip(outcome.text) : undefined;
  run.events?.end({
    type: 'run_ended',
    outcome: outcome.kind,
    ...(text ? { text: text.text, ...(text.cut ? { cut: true } : {}) } : {}),
    ...(outcome.kind !== 'answer' && run.endReason ? { reason: run.endReason } : {}),
  });
  recordRunEnd({
    agent: run.agent.name,
    outcome,
    costUsd: run.totals.costUsd,
    steps: run.status.step,
    escalations: loop.desk.escalations(),
    latencyMs: Date.now() - run.startedAt,
    humanWaitMs: loop.desk.humanWaitMs(),
    humanTimeouts: loop.desk.humanTimeouts(),
    ...(run.validation ? { validation: run.validation.result } : {}),
    ...(run.retrievalFacts ? { retrieval: run.retrievalFacts } : {}),
    ...(run.input.parent ? { subAgent: true } : {}),
  });
  log.info('run ended', { runId: run.id, outcome: outcome.kind, costUsd: run.totals.costUsd });
  return resultOf(run, loop.desk, outcome);
}

function outcomeDetail(outcome: RunOutcome): string {
  if (outcome.kind === 'failed') return ` (${outcome.failure.type})`;
  if (outcome.kind === 'escalated' || outcome.kind === 'stopped') return ` (${outcome.reason})`;
  if (outcome.kind === 'budget_exhausted') return ` (${outcome.budget})`;
  return '';
}
