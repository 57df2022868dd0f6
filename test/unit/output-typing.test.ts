import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { validateRunInput, type BosunClient, type RunHandle } from '../../client/client.ts';
import { exampleAgent } from '../../client/example-agent.ts';
import { outputContract, type RunResultOf, type TypedOutputContract } from '../../core/output-contract.ts';
import type { OutputContractInput } from '../../core/output.ts';
import type { RunResult, TaskResult } from '../../core/run.ts';

const refundDecision = z.object({
  approve: z.boolean(),
  amountCents: z.number().int().nonnegative(),
  reason: z.string().optional(),
});
type RefundDecision = z.infer<typeof refundDecision>;
const refund = outputContract('refund_decision', refundDecision);
const agent = exampleAgent({ provider: 'openai', name: 'gpt-4.1-mini' });

describe('outcome.output is typed by the output contract', () => {
  it('outputContract keeps the schema type and is still a plain contract', () => {
    expectTypeOf(refund).toEqualTypeOf<TypedOutputContract<RefundDecision>>();
    expectTypeOf(refund).toExtend<OutputContractInput>();
    // At run time the type is nowhere: the contract passes the strict run input schema.
    expect(Object.keys(refund)).toEqual(['name', 'schema']);
    expect(validateRunInput({ agent, task: 'refund?', output: refund }).output?.name).toBe('refund_decision');
  });

  it('bosun.run, start, runTask and startTask give back the typed output on an answer', () => {
    // Type-level: checked by the compiler (npm run check), never called.
    const typed = async (bosun: BosunClient) => {
      const result = await bosun.run({ agent, task: 'refund?', output: refund });
      expectTypeOf(result).toEqualTypeOf<RunResultOf<RefundDecision>>();
      if (result.outcome.kind === 'answer') {
        expectTypeOf(result.outcome.output).toEqualTypeOf<RefundDecision>();
        expectTypeOf(result.outcome.output.amountCents).toEqualTypeOf<number>();
        expectTypeOf(result.outcome.text).toEqualTypeOf<string>();
      } else if (result.outcome.kind === 'escalated') {
        expectTypeOf(result.outcome.reason).toExtend<string>();
      }

      const handle = await bosun.start({ agent, task: 'refund?', output: refund });
      expectTypeOf(handle).toEqualTypeOf<RunHandle<RunResultOf<RefundDecision>>>();

      const task = await bosun.runTask({
        name: 'classify',
        instructions: 'Classify.',
        input: 'x',
        model: { provider: 'openai', name: 'gpt-4.1-mini' },
        output: outputContract('label', z.object({ label: z.enum(['refund', 'shipping']) })),
      });
      if (task.outcome.kind === 'answer')
        expectTypeOf(task.outcome.output).toEqualTypeOf<{ label: 'refund' | 'shipping' }>();
      expectTypeOf(task).toExtend<TaskResult>();

      // Without a contract nothing changes: the plain result, output unknown.
      const plain = await bosun.run({ agent, task: 'hi' });
      expectTypeOf(plain).toEqualTypeOf<RunResult>();
      // An explicit type argument says what the contract must hold.
      const explicit = await bosun.run<RefundDecision>({ agent, task: 'refund?', output: refund });
      expectTypeOf(explicit).toExtend<RunResult>();
    };
    expect(typed).toBeTypeOf('function');
  });
});
