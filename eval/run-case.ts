import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { BosunClient, RunHandle } from '../client/client.ts';
import { runFactsOf, type RunFacts } from '../client/run-facts.ts';
import type { ActorInput } from '../core/principal.ts';
import type { RoutingTableInput } from '../core/routing.ts';
import type { AgentDefinition, RunResult } from '../core/run.ts';
import { answerText, grade, judgeVerdict, type Check, type Observation } from './graders.ts';
import { caseTask, type EvalCase } from './suite.ts';

/**
 * One case as a real run: started through Bosun's client with the variant's agent, its
 * approvals and escalations decided by the harness through the same updates a person's
 * decision goes through, then graded. The run's facts for the business metrics are read
 * back the way `bosun stats` reads them (`runFactsOf`), so the figures mean the same.
 */

/** The harness's identity when it decides for a human (in the run's audit trail). */
export const evalActor: ActorInput = { id: 'eval-harness', groups: ['support', 'support-leads'] };

/** The judge's instructions; the fake providers recognise judge requests by them. */
export const judgeInstructions =
  'You grade an assistant answer against a rubric. Reply with PASS or FAIL as the first word, then one short sentence saying why.';

export interface CaseOutcome {
  caseId: string;
  variant: string;
  runId: string;
  pass: boolean;
  checks: Check[];
  /** What went wrong around the run (start refused, no result in time), not a grade. */
  error?: string;
  /** The answer's first characters, for reading a report. */
  answer: string;
  outcome: string;
  costUsd: number;
  modelCalls: number;
  steps: number;
  approvalsRequested: number;
  escalationsResolved: number;
  /** The model-graded check's own cost (not in `costUsd`: it is the evaluation's, not the task's). */
  judgeCostUsd: number;
  wallMs: number;
  /** The run's facts as `stats` reads them (for the six business metrics). */
  facts?: RunFacts;
  /** The run's result (kept for the economics and cache measurements, not written out whole). */
  result?: RunResult;
}

export interface CaseContext {
  bosun: BosunClient;
  temporal: Client;
  variant: string;
  agent: AgentDefinition;
  /** Where the judge's `classify` task routes (its `classify` class → cheap tier). */
  judgeRouting: RoutingTableInput;
  timeoutMs: number;
  /** Unique per evaluation, so run ids never collide with an earlier one. */
  runIdPrefix: string;
  pollMs?: number;
}

export async function runCase(c: EvalCase, ctx: CaseContext): Promise<CaseOutcome> {
  const started = Date.now();
  const runId = `${ctx.runIdPrefix}-${ctx.variant}-${c.id}`.slice(0, 200);
  const base: CaseOutcome = {
    caseId: c.id,
    variant: ctx.variant,
    runId,
    pass: false,
    checks: [],
    answer: '',
    outcome: 'none',
    costUsd: 0,
    modelCalls: 0,
    steps: 0,
    approvalsRequested: 0,
    escalationsResolved: 0,
    judgeCostUsd: 0,
    wallMs: 0,
  };
  let handle: RunHandle;
  try {
    handle = await ctx.bosun.start({
      runId,
      agent: ctx.agent,
      task: caseTask(c),
      ...(c.principal ? { principal: c.principal } : {}),
      ...(c.output ? { output: c.output } : {}),
    });
  } catch (err) {
    return { ...base, error: `start refused: ${message(err)}`, wallMs: Date.now() - started };
  }
  const decided = new Set<string>();
  const human = { approvals: 0, escalations: 0 };
  const done = new AbortController();
  const resultP = handle.result();
  const watcher = watchHumans(handle, c, decided, human, done.signal, ctx.pollMs ?? 150);
  let result: RunResult;
  try {
    result = await Promise.race([
      resultP,
      sleep(ctx.timeoutMs, undefined, { signal: done.signal }).then(() => {
        throw new Error(`no result within ${ctx.timeoutMs} ms`);
      }),
    ]);
  } catch (err) {
    done.abort();
    await handle.cancel().catch(() => {});
    resultP.catch(() => {});
    return { ...base, error: message(err), wallMs: Date.now() - started };
  } finally {
    done.abort();
    await watcher;
  }
  // A description is the run's info plus more; `runFactsOf` reads only what both have
  // (status, search attributes, memo, start and close times).
  const described = await ctx.temporal.workflow.getHandle(runId).describe();
  const facts = runFactsOf(described as unknown as WorkflowExecutionInfo);
  let judge: Observation['judge'];
  let judgeCostUsd = 0;
  if (c.expect.judge) {
    const verdict = await runJudge(c, result, ctx);
    judge = verdict.judge;
    judgeCostUsd = verdict.costUsd;
  }
  const checks = grade(c.expect, { result, approvalsRequested: human.approvals, judge });
  return {
    ...base,
    pass: checks.every((x) => x.pass),
    checks,
    answer: answerText(result).slice(0, 200),
    outcome: result.outcome.kind,
    costUsd: result.costUsd,
    modelCalls: result.modelCalls,
    steps: result.steps,
    approvalsRequested: human.approvals,
    escalationsResolved: human.escalations,
    judgeCostUsd,
    wallMs: Date.now() - started,
    facts,
    result,
  };
}

/** Decides every approval the run asks (as the case says; reject when it says nothing) and
 * resolves an open escalation (end it, or answer it), until the run is done. */
async function watchHumans(
  handle: RunHandle,
  c: EvalCase,
  decided: Set<string>,
  human: { approvals: number; escalations: number },
  signal: AbortSignal,
  pollMs: number,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const status = await handle.status();
      if (status.outcome !== undefined) return;
      for (const a of status.pendingApprovals) {
        if (decided.has(a.id)) continue;
        decided.add(a.id);
        human.approvals++;
        await (c.approvals === 'approve'
          ? handle.approve(a.id, evalActor, 'eval case expects approval')
          : handle.reject(a.id, evalActor, 'eval case: approval not expected, rejected'));
      }
      const e = status.escalation;
      if (e && !decided.has(e.id)) {
        decided.add(e.id);
        human.escalations++;
        await (c.onEscalation === 'answer'
          ? handle.answer(e.id, evalActor, 'A person from the support team will follow up on this request.')
          : handle.end(e.id, evalActor, 'eval case: escalation expected; ended by the harness'));
      }
    } catch {
      // The run may be between workflow tasks, or just ended: ask again.
    }
    await sleep(pollMs, undefined, { signal }).catch(() => {});
  }
}

/** The model-graded check: one `classify` task through Bosun, recorded like any call. */
async function runJudge(
  c: EvalCase,
  result: RunResult,
  ctx: CaseContext,
): Promise<{ judge: NonNullable<Observation['judge']>; costUsd: number }> {
  try {
    const task = await ctx.bosun.runTask({
      runId: `${ctx.runIdPrefix}-${ctx.variant}-${c.id}-judge`.slice(0, 200),
      name: 'eval-judge',
      taskClass: 'classify',
      instructions: judgeInstructions,
      input: [
        `Case: ${c.id}`,
        `Rubric: ${c.expect.judge!.rubric}`,
        `Task: ${caseTask(c)}`,
        `Answer: ${answerText(result) || `(no answer: the run ended ${result.outcome.kind})`}`,
      ].join('\n'),
      routing: ctx.judgeRouting,
      maxOutputTokens: 100,
    });
    const text = task.outcome.kind === 'answer' ? task.outcome.text : `(judge ended ${task.outcome.kind})`;
    return { judge: { verdict: judgeVerdict(text), text }, costUsd: task.costUsd };
  } catch (err) {
    return { judge: { verdict: 'unclear', text: `judge failed: ${message(err)}` }, costUsd: 0 };
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
