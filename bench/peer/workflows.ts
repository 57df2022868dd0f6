/**
 * The peer: the bench's N-step agent as an AI SDK (v7) tool loop inside a Temporal workflow,
 * written the way @temporalio/ai-sdk documents it — `generateText` with
 * `temporalProvider.languageModel(...)` (each model call becomes an `invokeModel` activity,
 * run by the AiSdkPlugin on the worker) and a `tool()` whose `execute` is an activity. The
 * loop, the conversation and every result live in the workflow, as they do for its users.
 */
import { temporalProvider } from '@temporalio/ai-sdk/workflow';
import { proxyActivities } from '@temporalio/workflow';
import { generateText, stepCountIs, tool } from 'ai';
import { z } from 'zod';
import type { PeerActivities } from './activities.ts';

const tools = proxyActivities<PeerActivities>({ startToCloseTimeout: '1 minute' });

export interface PeerInput {
  /** Tool steps before the final answer: the fake model decides, this only bounds the loop. */
  steps: number;
  tool: keyof PeerActivities;
  task: string;
}

export interface PeerResult {
  text: string;
  modelCalls: number;
  toolCalls: number;
}

export async function peerAgent(input: PeerInput): Promise<PeerResult> {
  const result = await generateText({
    model: temporalProvider.languageModel('bench-model'),
    instructions: 'bench',
    prompt: input.task,
    tools: {
      [input.tool]: tool({
        description: 'Evaluate an arithmetic expression such as "2+3".',
        inputSchema: z.object({ expression: z.string() }),
        execute: tools[input.tool],
      }),
    },
    // N tool steps and the answer: N + 1 model calls.
    stopWhen: stepCountIs(input.steps + 1),
  });
  return {
    text: result.text,
    modelCalls: result.steps.length,
    toolCalls: result.steps.reduce((n, s) => n + s.toolCalls.length, 0),
  };
}
