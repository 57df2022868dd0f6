import { connectBosunClient, type RunOutcome } from 'bosun';
import catalog from './catalog.ts';
import { creditDecision, creditDecisionContract, type CreditDecision } from './credit-decision.ts';

/** A run's outcome with the answer's output parsed into our type; other outcomes as they are. */
export type CreditOutcome =
  { kind: 'answer'; decision: CreditDecision; text: string } | Exclude<RunOutcome, { kind: 'answer' }>;

function typed(outcome: RunOutcome): CreditOutcome {
  if (outcome.kind !== 'answer') return outcome;
  return { kind: 'answer', decision: creditDecision.parse(outcome.output), text: outcome.text };
}

/**
 * Starts a `credits` run for the task on the command line, waits for it (a human may have to
 * approve a credit: `bosun approvals`, then `bosun approve <runId> <approvalId> --as <you>`)
 * and prints its typed outcome as JSON.
 */
const bosun = await connectBosunClient({
  address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  taskQueue: process.env.BOSUN_TASK_QUEUE ?? 'bosun',
  // With the catalog, an unknown agent name is refused here, before anything starts.
  catalog,
});
try {
  const task = process.argv.slice(2).join(' ') || 'Order ord_1001 is a week late. What can we do for the customer?';
  const run = await bosun.start({
    agent: 'credits',
    task,
    output: creditDecisionContract,
    principal: { tenant: 'acme', user: 'support-desk', scopes: ['orders:read', 'credits:write'] },
  });
  console.error(`consumer client: started ${run.runId}`);
  const result = await run.result();
  console.log(JSON.stringify({ runId: run.runId, outcome: typed(result.outcome), toolCalls: result.toolCalls }));
} finally {
  await bosun.close();
}
