/**
 * The ways the bench runs its N-step agent, each one run at a time through the bench's own
 * client (so a run's end-to-end time is client start → result):
 *   bosun       `agentRun` on a Bosun worker (child process) with the bench catalog;
 *   peer        the AI SDK loop in a workflow via @temporalio/ai-sdk (bench/peer, child process);
 *   floor       a bare workflow of the same shape with no-op activities (child process);
 *   in-process  the same loop with no Temporal: Bosun's OpenAI adapter and the tool handler.
 * Each returns the times the model was called, for the step intervals.
 */
import type { Client } from '@temporalio/client';
import OpenAI from 'openai';
import { createOpenAIAdapter } from '../activities/model/index.ts';
import type { BosunClient } from '../client/client.ts';
import { nonRetryableFailureTypes } from '../core/failures.ts';
import type { Message, ToolResult } from '../core/messages.ts';
import { anonymousPrincipal } from '../core/principal.ts';
import { agentDefinitionSchema, type AgentDefinitionInput } from '../core/run.ts';
import type { FakeProviderServer } from '../testing/index.ts';
import { capResult, checkToolInput, toolSpec } from '../tools/index.ts';
import benchCatalog from './bench-catalog.ts';
import { benchHandlers } from './bench-handlers.ts';
import type { ChildWorker } from './child-worker.ts';
import { taskFor } from './fake-model.ts';
import type { FloorInput, floorAgentLoop } from './floor-workflow.ts';
import type { History } from './history.ts';
import { benchToolName, toolOutputBytes, type ToolSize } from './tool-output.ts';

export interface Case {
  steps: number;
  size: ToolSize;
}
export const caseLabel = (c: Case) => `${c.steps}x${c.size}`;

export type VariantName = 'bosun' | 'peer' | 'floor' | 'in-process';

export interface Variant {
  name: VariantName;
  /** The activity type of a model call in this variant's history. */
  modelActivity?: string;
  /** One run of `c` as workflow `id`; resolves with the model-call times, throws when the run
   * did not do `c.steps` tool steps and answer. */
  run(c: Case, id: string): Promise<number[]>;
  history?(id: string): Promise<History>;
}

export const benchAgent = (c: Case): AgentDefinitionInput => ({
  name: 'bench',
  instructions: 'bench',
  model: { provider: 'openai', name: 'bench-model' },
  tools: [benchToolName(c.size)],
  maxSteps: c.steps + 1,
});

/** The model-request times of one run, taken off the fake server (and dropped there: 100
 * steps of 5 KB results would otherwise keep hundreds of MB of request bodies). */
async function withStamps<T>(fake: FakeProviderServer, run: () => Promise<T>): Promise<[T, number[]]> {
  const first = fake.requests.length;
  try {
    const result = await run();
    return [result, fake.requests.slice(first).map((r) => r.at)];
  } finally {
    fake.requests.splice(0);
  }
}

export function bosunVariant(bosun: BosunClient, client: Client, fake: FakeProviderServer): Variant {
  return {
    name: 'bosun',
    modelActivity: 'callModel',
    async run(c, id) {
      const [result, stamps] = await withStamps(fake, () =>
        bosun.run({ agent: benchAgent(c), task: taskFor(c.steps), runId: id }),
      );
      if (result.outcome.kind !== 'answer' || result.toolCalls !== c.steps || result.modelCalls !== c.steps + 1) {
        throw new Error(
          `bosun run ${id} did not do ${c.steps} steps: ${JSON.stringify({ outcome: result.outcome, toolCalls: result.toolCalls, modelCalls: result.modelCalls })}`,
        );
      }
      return stamps;
    },
    history: (id) => client.workflow.getHandle(id).fetchHistory(),
  };
}

export function peerVariant(client: Client, taskQueue: string, fake: FakeProviderServer): Variant {
  return {
    name: 'peer',
    modelActivity: 'invokeModel',
    async run(c, id) {
      const [result, stamps] = await withStamps(fake, () =>
        client.workflow.execute<(input: unknown) => Promise<{ modelCalls: number; toolCalls: number }>>('peerAgent', {
          taskQueue,
          workflowId: id,
          args: [{ steps: c.steps, tool: benchToolName(c.size), task: taskFor(c.steps) }],
        }),
      );
      if (result.toolCalls !== c.steps || result.modelCalls !== c.steps + 1)
        throw new Error(`peer run ${id} did not do ${c.steps} steps: ${JSON.stringify(result)}`);
      return stamps;
    },
    history: (id) => client.workflow.getHandle(id).fetchHistory(),
  };
}

export function floorVariant(client: Client, taskQueue: string, worker: ChildWorker): Variant {
  const agent = agentDefinitionSchema.parse(benchAgent({ steps: 1, size: '20b' }));
  return {
    name: 'floor',
    modelActivity: 'floorModel',
    async run(c, id) {
      const input: FloorInput = {
        steps: c.steps,
        modelCallMs: agent.timeouts.modelCallMs,
        heartbeatMs: agent.timeouts.heartbeatMs,
        toolCallMs: agent.timeouts.toolCallMs,
        nonRetryableErrorTypes: nonRetryableFailureTypes,
        toolOutputBytes: toolOutputBytes[c.size],
      };
      await client.workflow.execute<typeof floorAgentLoop>('floorAgentLoop', {
        taskQueue,
        workflowId: id,
        args: [input],
      });
      const stamps = await worker.stamps(id);
      if (stamps.length !== c.steps + 1)
        throw new Error(`floor run ${id}: expected ${c.steps + 1} model activities, saw ${stamps.length}`);
      return stamps;
    },
    history: (id) => client.workflow.getHandle(id).fetchHistory(),
  };
}

/** The agentRun loop minus Temporal: model call, validate and run the tool, feed back. */
export function inProcessVariant(fake: FakeProviderServer): Variant {
  const adapter = createOpenAIAdapter(new OpenAI({ baseURL: fake.baseURL, apiKey: 'x', maxRetries: 0 }), 'openai');
  return {
    name: 'in-process',
    async run(c, id) {
      const agent = agentDefinitionSchema.parse(benchAgent(c));
      const name = benchToolName(c.size) as keyof typeof benchHandlers;
      const contract = benchCatalog.tools.find((t) => t.name === name)!;
      const handler = benchHandlers[name];
      if (!handler) throw new Error(`no bench handler for ${name}`);
      const tools = [toolSpec(contract)];
      const messages: Message[] = [{ role: 'user', content: taskFor(c.steps) }];
      let toolCalls = 0;
      const [, stamps] = await withStamps(fake, async () => {
        for (let step = 1; step <= agent.maxSteps; step++) {
          const response = await adapter.call(
            {
              model: agent.model!,
              system: String(agent.instructions),
              messages,
              tools,
              maxOutputTokens: agent.maxOutputTokens,
            },
            { timeoutMs: agent.timeouts.modelCallMs },
          );
          messages.push(response.message);
          if (response.message.toolCalls.length === 0) break;
          const results: ToolResult[] = [];
          for (const call of response.message.toolCalls) {
            const check = checkToolInput(contract, call.input);
            if (!check.ok) throw new Error(`in-process: bad tool input: ${check.message}`);
            const value = await handler(check.value, {
              runId: id,
              callId: call.id,
              idempotencyKey: `${id}:${call.id}`,
              signal: new AbortController().signal,
              principal: anonymousPrincipal,
            });
            const { content } = capResult(
              typeof value === 'string' ? value : JSON.stringify(value),
              contract.maxResultChars,
            );
            results.push({ callId: call.id, name: call.name, content, isError: false });
            toolCalls++;
          }
          messages.push({ role: 'tool', results });
        }
      });
      if (toolCalls !== c.steps || stamps.length !== c.steps + 1)
        throw new Error(
          `in-process run ${id}: ${toolCalls} tool calls and ${stamps.length} model requests for ${c.steps} steps`,
        );
      return stamps;
    },
  };
}
