import type { EscalationReason } from '../core/approvals.ts';
import { checkOutput } from '../core/output.ts';
import type { RunOutcome } from '../core/run.ts';
import type { HumanDesk } from './human.ts';
import { countEscalation } from './metrics.ts';
import { summarize, type RunState } from './run-state.ts';

/**
 * Hands the run to a human (escalation mode `park`) or ends it as escalated (mode
 * `return`). Returns the outcome that ends the run, or `continue` after a redirect (the
 * human's instruction is the next user message).
 */
export async function escalate(
  run: RunState,
  desk: HumanDesk,
  reason: EscalationReason,
  message: string,
  extra: { lastOutput?: string; issues?: string[] } = {},
): Promise<RunOutcome | 'continue'> {
  countEscalation(reason);
  const escalated: RunOutcome = { kind: 'escalated', reason, message, ...extra };
  if (run.agent.escalation.mode === 'return') {
    desk.noteImmediateEscalation(reason, message);
    return escalated;
  }
  run.status.phase = 'needs_human';
  run.status.pending = [];
  run.note(`needs a human: ${reason} — ${message}`);
  const lastOutput = (extra.lastOutput ?? run.conv.lastText).slice(0, 4000);
  const resolution = await desk.escalate(reason, message, run.agent.escalation.timeoutMs, {
    ...(lastOutput ? { lastOutput } : {}),
    ...(extra.issues ? { issues: extra.issues } : {}),
  });
  if (!resolution) return { ...escalated, message: `${message}; no human resolved it in time` };
  run.note(`human ${resolution.by.id} chose to ${resolution.action}`);
  switch (resolution.action) {
    case 'answer': {
      // Checked against the output contract before it was accepted (the desk's validator).
      const contract = run.input.output;
      const checked = contract ? checkOutput(contract, resolution.text) : undefined;
      const output = checked?.ok ? { output: checked.value } : {};
      return {
        kind: 'answer',
        text: resolution.text,
        truncated: false,
        ...output,
        answeredBy: `human:${resolution.by.id}`,
      };
    }
    case 'end':
      return {
        kind: 'stopped',
        reason: 'ended_by_human',
        message: `ended by ${resolution.by.id}: ${resolution.reason}`,
        summary: summarize(run),
      };
    case 'redirect':
      run.conv.add({ role: 'user', content: resolution.instruction });
      return 'continue';
  }
}
