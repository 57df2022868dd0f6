/**
 * The agent, principal and model scripts the cases share: short timeouts so a fault shows
 * within seconds, escalations that end the run at once instead of waiting a day for a human.
 */
import type { AgentDefinitionInput, RunInputInit } from '../../core/run.ts';
import type { ModelRef } from '../../core/model.ts';
import type { PrincipalInput } from '../../core/principal.ts';
import type { FakeReply } from '../kit/index.ts';
import { chaosMarker, type RunScript, type ScriptedModel, type Turn, type Wire } from './scripted-model.ts';

/** May look up and refund orders; refunds over $20 still wait for a human. */
export const principal: PrincipalInput = {
  tenant: 'chaos',
  user: 'chaos-agent',
  scopes: ['orders:read', 'orders:write'],
  roles: ['support_agent'],
};

/** Approves refunds: the refund tool's approval group is `support`. */
export const approver = { id: 'chaos-lead', groups: ['support'] };

export function chaosAgent(model: ModelRef, overrides: Partial<AgentDefinitionInput> = {}): AgentDefinitionInput {
  return {
    name: 'chaos',
    instructions: 'You are a support agent under test. Use the tools when asked.',
    model,
    tools: ['lookup_order', 'refund_order', 'calculator'],
    maxSteps: 8,
    maxOutputTokens: 256,
    timeouts: { modelCallMs: 10_000, heartbeatMs: 2_000, toolCallMs: 5_000 },
    escalation: { mode: 'return' },
    ...overrides,
  };
}

/** A model at the wire's provider; each case names its own so per-model breakers of the
 * shared workers never mix cases. */
export const modelOn = (wire: Wire, name: string): ModelRef => ({ provider: wire, name });

/** The run input: the task carries the marker that routes the run's requests to its script. */
export function runInput(
  runId: string,
  agent: AgentDefinitionInput,
  task = 'Look up order ord_100 and tell me its status.',
): RunInputInit & { runId: string } {
  return { runId, agent, task: `${chaosMarker(runId)} ${task}`, principal };
}

export const answer = (text = 'All done: ord_100 is paid.'): FakeReply => ({ kind: 'text', text });

export function toolCall(model: ScriptedModel, turn: Turn, name: string, args: unknown): FakeReply {
  return { kind: 'tool_calls', calls: [{ id: model.callId(turn.wire), name, args }] };
}

/** One step with a tool (lookup_order), then the answer: a short run with tools. */
export function lookupThenAnswer(model: ScriptedModel): RunScript {
  return (turn) => (turn.toolResults === 0 ? toolCall(model, turn, 'lookup_order', { orderId: 'ord_100' }) : answer());
}

/** One refund of `amountCents` on `orderId`, then the answer. */
export function refundThenAnswer(model: ScriptedModel, amountCents = 500, orderId = 'ord_103'): RunScript {
  return (turn) =>
    turn.toolResults === 0
      ? toolCall(model, turn, 'refund_order', { orderId, amountCents, reason: 'chaos: arrived damaged' })
      : answer(`Refunded ${amountCents} cents on ${orderId}.`);
}

/** `faults` for the run's first requests, then `then`. */
export function faultsFirst(faults: readonly FakeReply[], then: RunScript): RunScript {
  return (turn) => (turn.n < faults.length ? faults[turn.n]! : then(turn));
}
