import type { Principal } from '../core/principal.ts';
import { noPriorEffects, type ApprovalOptions, type PriorEffects, type ToolContract } from './define-tool.ts';

/** The decision on one tool call, before anything runs. */
export type Authorization =
  | { kind: 'allow'; reason: string }
  | { kind: 'deny'; reason: string }
  | { kind: 'ask'; reason: string; options: ApprovalOptions };

/** Scopes the principal lacks for a tool (empty when it may use it). */
export function missingScopes(contract: ToolContract, principal: Principal): string[] {
  return contract.scopes.filter((s) => !principal.scopes.includes(s));
}

/**
 * Complete mediation for one call, in order: scopes, per-tool constraints, approval policy.
 * Pure and deterministic: the workflow calls it before scheduling, the activity again before
 * executing, with the same answer.
 */
export function authorizeToolCall(
  contract: ToolContract,
  input: unknown,
  principal: Principal,
  prior: PriorEffects = noPriorEffects,
): Authorization {
  const missing = missingScopes(contract, principal);
  if (missing.length > 0)
    return { kind: 'deny', reason: `principal ${principal.user} lacks scope ${missing.join(', ')}` };
  const violation = contract.constraints?.(input, principal, prior);
  if (violation) return { kind: 'deny', reason: violation };
  const policy = contract.approval;
  if (policy === 'never') return { kind: 'allow', reason: 'no approval needed' };
  if (policy === 'always')
    return { kind: 'ask', reason: `${contract.name} always needs approval`, options: contract.approvalOptions };
  const verdict = policy({ input, principal, prior });
  if (verdict === 'allow') return { kind: 'allow', reason: 'approval policy allowed it' };
  if (verdict === 'ask')
    return { kind: 'ask', reason: 'approval policy asked for a human', options: contract.approvalOptions };
  if ('deny' in verdict) return { kind: 'deny', reason: verdict.deny };
  return { kind: 'ask', reason: verdict.ask, options: contract.approvalOptions };
}

/** The tools a run offers the model: those its agent allows and its principal may use. */
export function offeredTools(
  agentTools: string[],
  principal: Principal,
  find: (name: string) => ToolContract | undefined,
) {
  const offered: string[] = [];
  const hidden: { name: string; reason: string }[] = [];
  for (const name of agentTools) {
    const contract = find(name);
    if (!contract) continue;
    const missing = missingScopes(contract, principal);
    if (missing.length) hidden.push({ name, reason: `needs scope ${missing.join(', ')}` });
    else offered.push(name);
  }
  return { offered, hidden };
}
