import { z } from 'zod';
import type { ToolSpec } from '../core/messages.ts';

/** What running a tool can do to the world. Retries and (later) approvals key off this. */
export type ToolEffect = 'read' | 'idempotent' | 'side-effect';

/**
 * A tool's contract: everything the workflow needs to offer, validate and schedule a call,
 * and nothing that does I/O. Handlers live apart, in `tools/handlers/` (worker only).
 *
 * @example
 * export const calculator = defineTool({
 *   name: 'calculator',
 *   description: 'Evaluate an arithmetic expression.',
 *   input: z.object({ expression: z.string() }),
 *   effect: 'read',
 * });
 */
export interface ToolContract<I extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly input: I;
  readonly effect: ToolEffect;
  /** Permission scopes a principal needs to use the tool. */
  readonly scopes: readonly string[];
  /** Upper bound for one execution attempt; overrides the run default. */
  readonly timeoutMs?: number;
  /** Results longer than this are truncated with a marker so history stays small. */
  readonly maxResultChars: number;
}

export interface ToolDefinition<I extends z.ZodType> {
  name: string;
  description: string;
  input: I;
  effect: ToolEffect;
  scopes?: string[];
  timeoutMs?: number;
  maxResultChars?: number;
}

const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

export function defineTool<I extends z.ZodType>(def: ToolDefinition<I>): ToolContract<I> {
  if (!toolNamePattern.test(def.name)) {
    throw new TypeError(`tool name ${JSON.stringify(def.name)} must match ${toolNamePattern} (provider limit)`);
  }
  return Object.freeze({
    name: def.name,
    description: def.description,
    input: def.input,
    effect: def.effect,
    scopes: Object.freeze([...(def.scopes ?? [])]),
    timeoutMs: def.timeoutMs,
    maxResultChars: def.maxResultChars ?? 8_000,
  });
}

/** The tool as a model sees it; the JSON Schema is derived from the zod input. */
export function toolSpec(contract: ToolContract): ToolSpec {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(contract.input, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  return { name: contract.name, description: contract.description, inputSchema: schema };
}

export type InputCheck<T> = { ok: true; value: T } | { ok: false; message: string };

/** Validates a model-supplied input. The message is written for the model to fix its call. */
export function checkToolInput<I extends z.ZodType>(contract: ToolContract<I>, input: unknown): InputCheck<z.infer<I>> {
  const parsed = contract.input.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
    .join('; ');
  return { ok: false, message: `Invalid arguments for tool "${contract.name}": ${issues}. Fix the arguments and call it again.` };
}

/** Keeps a tool result within its cap, saying plainly that it was cut. */
export function capResult(text: string, maxChars: number): { content: string; truncated: boolean } {
  if (text.length <= maxChars) return { content: text, truncated: false };
  const marker = (omitted: number) => `\n[truncated: ${omitted} of ${text.length} characters omitted]`;
  // The marker's length depends on the count it shows: start from the widest count and let
  // the kept part grow while the result still fits, so it is exactly the cap (or just under).
  let keep = maxChars - marker(text.length).length;
  if (keep < 0) return { content: text.slice(0, maxChars), truncated: true };
  while (keep + 1 + marker(text.length - keep - 1).length <= maxChars) keep++;
  return { content: text.slice(0, keep) + marker(text.length - keep), truncated: true };
}
