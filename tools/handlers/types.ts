import type { z } from 'zod';
import type { Principal } from '../../core/principal.ts';
import type { Catalog } from '../catalog.ts';
import type { ToolContract } from '../define-tool.ts';

/** What a handler may know about the call it serves. */
export interface ToolContext {
  runId: string;
  callId: string;
  /** Stable across retries and worker restarts: `${runId}:${callId}`. */
  idempotencyKey: string;
  /** Aborted when the activity is cancelled or times out. */
  signal: AbortSignal;
  /** Who the run acts for (checked already for scopes and constraints): for checks only the
   * handler can make, such as whether the principal owns the resource. */
  principal: Principal;
}

/** Executes one validated call. Returns text for the model, or a value serialised as JSON.
 * Throw `ToolError` for failures the model should see and may correct. */
export type ToolHandler<I extends z.ZodType = z.ZodType> = (input: z.infer<I>, ctx: ToolContext) => Promise<unknown>;

export interface RegisteredTool<I extends z.ZodType = z.ZodType> {
  contract: ToolContract<I>;
  handler: ToolHandler<I>;
}

/** A failure the tool reports on purpose. `retryable` failures are retried by Temporal;
 * the others go straight back to the model as an error result. */
export class ToolError extends Error {
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable?: boolean } = {}) {
    super(message);
    this.name = 'ToolError';
    this.retryable = opts.retryable ?? false;
  }
}

export function registerTool<I extends z.ZodType>(contract: ToolContract<I>, handler: ToolHandler<I>): RegisteredTool {
  return { contract, handler } as unknown as RegisteredTool;
}

/**
 * One handler per tool of a catalog, keyed by tool name: a tool without a handler, or a
 * handler without a tool, is a type error where the worker is created.
 *
 * @example
 * const handlers: ToolHandlers<typeof catalog> = {
 *   shipping_eta: async ({ orderId }) => ({ orderId, days: 3 }),
 * };
 */
export type ToolHandlers<C extends Catalog> = {
  // Keyed by name, not remapped (`[T in Tools as T['name']]`): TypeScript cannot type the
  // parameters of handlers written inline (`createBosunWorker({ catalog, handlers: { ... } })`)
  // against a remapped key.
  [N in C['tools'][number]['name']]: ToolHandler<Extract<C['tools'][number], { name: N }>['input']>;
};
