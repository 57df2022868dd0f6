import { z } from 'zod';
import type { PinnedMcpTool } from '../core/mcp.ts';
import type { ToolSpec } from '../core/messages.ts';
import type { Principal } from '../core/principal.ts';
import { formatIssues } from '../core/zod-issues.ts';

/** What running a tool can do to the world. Retries and (later) approvals key off this. */
export type ToolEffect = 'read' | 'idempotent' | 'side-effect';

/**
 * What a run has already done with a tool, for policies that look past one call: how many
 * calls ran (or were allowed and are running) and the sums of the tool's `tally` over them.
 * A threshold then cannot be split around (three refunds of $19.99 against a $20 limit).
 */
export interface PriorEffects {
  calls: number;
  totals: Readonly<Record<string, number>>;
}
export const noPriorEffects: PriorEffects = Object.freeze({ calls: 0, totals: Object.freeze({}) });

/** What the approval policy says about one call. `ask` may say why. */
export type ApprovalVerdict = 'allow' | 'ask' | { ask: string } | { deny: string };

/**
 * Whether a call needs a human: `never`, `always`, or a pure function of the validated
 * input and the principal (it runs in the workflow, so it must be deterministic).
 *
 * @example approval: ({ input }) => (input.amountCents > 2000 ? { ask: 'refund over $20' } : 'allow')
 */
export type ApprovalPolicy<T = unknown> =
  'never' | 'always' | ((call: { input: T; principal: Principal; prior: PriorEffects }) => ApprovalVerdict);

export interface ApprovalOptions {
  /** How long a human has to decide. */
  timeoutMs: number;
  /** What happens when nobody decides in time: deny, or hand it to another group for
   * `timeoutMs` more (then deny). */
  onTimeout: 'deny' | { escalateTo: string; timeoutMs: number };
  /** Only members of this group may decide. */
  group?: string;
}

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
export interface ToolContract<I extends z.ZodType = z.ZodType, N extends string = string> {
  readonly name: N;
  readonly description: string;
  readonly input: I;
  readonly effect: ToolEffect;
  /** Permission scopes a principal needs to use the tool. */
  readonly scopes: readonly string[];
  /** Upper bound for one execution attempt; overrides the run default. */
  readonly timeoutMs?: number;
  /** Results longer than this are truncated with a marker so history stays small. */
  readonly maxResultChars: number;
  /** Side-effect tools ask by default; read and idempotent tools do not. */
  readonly approval: ApprovalPolicy<z.infer<I>>;
  readonly approvalOptions: ApprovalOptions;
  /** Per-call rules beyond the schema (e.g. amount limits per role): a reason to deny, or
   * undefined. Pure and deterministic: it runs in the workflow and again in the activity. */
  readonly constraints?: (input: z.infer<I>, principal: Principal, prior: PriorEffects) => string | undefined;
  /** What one call adds to the run's prior effects of this tool (`PriorEffects.totals`),
   * e.g. `({ orderId, amountCents }) => ({ refundedCents: amountCents, [orderId]: amountCents })`.
   * Pure: it runs in the workflow. */
  readonly tally?: (input: z.infer<I>) => Record<string, number>;
  /** Attempts for transient failures (`ToolError({ retryable: true })`). */
  readonly maxAttempts: number;
  /** Runs as a local activity (see `ToolDefinition.local`). */
  readonly local: boolean;
  /** `false`: never runs early, even where `runsEarly` would allow it (`ToolDefinition.early`). */
  readonly early?: false;
  /** The version of the tool's code-defined rules (approval policy, constraints): part of
   * its fingerprint. Bump it when they change — functions cannot be hashed reliably (the
   * workflow bundle compiles them differently from Node). */
  readonly version: string;
  /** The JSON Schema the model is offered when it is not derived from `input`: a tool from
   * an MCP server offers the server's schema exactly as the run pinned it. */
  readonly inputJsonSchema?: Record<string, unknown>;
  /** Set for a tool served by an MCP server (`tools/mcp/contract.ts`): calls go to that
   * server through the `callMcpTool` activity, not to a handler. */
  readonly mcp?: PinnedMcpTool;
}

export interface ToolDefinition<I extends z.ZodType, N extends string = string> {
  name: N;
  description: string;
  input: I;
  effect: ToolEffect;
  scopes?: string[];
  timeoutMs?: number;
  maxResultChars?: number;
  approval?: ApprovalPolicy<z.infer<I>>;
  approvalOptions?: Partial<ApprovalOptions>;
  constraints?: (input: z.infer<I>, principal: Principal, prior: PriorEffects) => string | undefined;
  tally?: (input: z.infer<I>) => Record<string, number>;
  maxAttempts?: number;
  /**
   * Run each call as a Temporal *local* activity: in the worker that runs the workflow task,
   * recorded as one marker, with no task-queue round trip (a calculator call then costs a few
   * milliseconds instead of a round trip). The price: no heartbeats, and a result is recorded
   * only when the workflow task completes, so a worker that dies in between runs the call
   * again. That is harmless for reads and idempotent tools, not for side effects, so:
   * default `true` for `effect: 'read'`, allowed for `'idempotent'`, refused for
   * `'side-effect'`. Set `false` for a slow read (minutes) that should heartbeat.
   */
  local?: boolean;
  /**
   * Let a call run early: inside the model call that asks for it, before the workflow gates
   * it, so the step needs no second round trip (`docs/tools-and-approvals.md`, "Early
   * results"). Default `true` for the tools that may (`runsEarly`: local reads without
   * approval, constraints or tally); `false` keeps the tool a local activity, for a read
   * whose calls should run only once the gate allowed them (a paid lookup, say). `true` on
   * any other tool is refused.
   */
  early?: boolean;
  /** Bump when the approval policy or constraints change (default `1`). */
  version?: string;
}

/** A day to decide, then deny: an unattended approval never executes. */
export const defaultApprovalOptions: ApprovalOptions = { timeoutMs: 24 * 60 * 60 * 1000, onTimeout: 'deny' };

const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/** A tool definition that cannot work, found when it is defined (at import, long before a
 * run): the message names the tool and the fix. */
export class ToolDefinitionError extends TypeError {
  readonly tool: string;
  constructor(tool: string, problem: string) {
    super(`tool ${JSON.stringify(tool)}: ${problem}`);
    this.name = 'ToolDefinitionError';
    this.tool = tool;
  }
}

/**
 * Defines a tool's contract. Checked at once: the name fits every provider, the input is
 * a zod object whose JSON Schema providers accept (no transforms, no non-object root), and
 * the approval policy and constraints are synchronous functions — they run inside the
 * workflow sandbox, where they must be pure: no I/O, no awaiting (`Date.now()` and
 * `Math.random()` are deterministic there).
 */
export function defineTool<I extends z.ZodType, const N extends string>(def: ToolDefinition<I, N>): ToolContract<I, N> {
  if (!toolNamePattern.test(def.name)) {
    throw new ToolDefinitionError(
      def.name,
      `the name must match ${toolNamePattern} (the providers' limit), e.g. "shipping_eta"`,
    );
  }
  if (!def.description?.trim())
    throw new ToolDefinitionError(def.name, 'give it a description: the model chooses tools by it');
  checkInputSchema(def.name, def.input);
  for (const [field, fn] of [
    ['approval', def.approval],
    ['constraints', def.constraints],
    ['tally', def.tally],
  ] as const) {
    if (typeof fn === 'function' && fn.constructor.name === 'AsyncFunction') {
      throw new ToolDefinitionError(
        def.name,
        `${field} must be a synchronous, pure function (it runs in the workflow sandbox); do lookups in the handler`,
      );
    }
  }
  if (def.local && def.effect === 'side-effect') {
    throw new ToolDefinitionError(
      def.name,
      'a side-effect tool cannot be local: its result must be recorded as soon as it happened (leave `local` unset)',
    );
  }
  const contract = Object.freeze({
    name: def.name,
    description: def.description,
    input: def.input,
    effect: def.effect,
    scopes: Object.freeze([...(def.scopes ?? [])]),
    timeoutMs: def.timeoutMs,
    maxResultChars: def.maxResultChars ?? 8_000,
    approval: def.approval ?? (def.effect === 'side-effect' ? 'always' : 'never'),
    approvalOptions: { ...defaultApprovalOptions, ...def.approvalOptions },
    ...(def.constraints ? { constraints: def.constraints } : {}),
    ...(def.tally ? { tally: def.tally } : {}),
    maxAttempts: def.maxAttempts ?? (def.effect === 'side-effect' ? 1 : 3),
    local: def.local ?? def.effect === 'read',
    ...(def.early === false ? { early: false as const } : {}),
    version: def.version ?? '1',
  });
  if (def.early === true && !runsEarly(contract)) {
    throw new ToolDefinitionError(
      def.name,
      'only a local read without approval, constraints or tally can run early (leave `early` unset)',
    );
  }
  return contract;
}

/** Providers take a JSON Schema object for a tool's input; a zod schema that cannot become
 * one would fail at the first model call, so it fails here. */
function checkInputSchema(name: string, input: z.ZodType): void {
  if (!(input instanceof z.ZodType) && !(typeof input === 'object' && input !== null && '_zod' in input)) {
    throw new ToolDefinitionError(name, 'input must be a zod schema, e.g. z.object({ orderId: z.string() })');
  }
  let schema: Record<string, unknown>;
  try {
    schema = z.toJSONSchema(input, { target: 'draft-7', io: 'input', unrepresentable: 'throw' }) as Record<
      string,
      unknown
    >;
    // Validation runs the schema's output side: a transform there cannot be described to the model.
    z.toJSONSchema(input, { target: 'draft-7', io: 'output', unrepresentable: 'throw' });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ToolDefinitionError(
      name,
      `its input schema cannot become the JSON Schema providers accept (${why}); use plain zod types, no transforms, dates or functions`,
    );
  }
  if (schema.type !== 'object') {
    throw new ToolDefinitionError(
      name,
      `its input must be a z.object(...) (providers take an object of named arguments), not ${String(schema.type ?? 'a union')}`,
    );
  }
}

/** The tool as a model sees it; the JSON Schema is derived from the zod input. */
export function toolSpec(contract: ToolContract): ToolSpec {
  let spec = specs.get(contract);
  if (!spec) specs.set(contract, (spec = specOf(contract)));
  return spec;
}

function specOf(contract: ToolContract): ToolSpec {
  // An MCP tool's schema is the server's own; a native tool's is derived from its zod input.
  const { $schema: _draft, ...inputSchema } =
    contract.inputJsonSchema ??
    (z.toJSONSchema(contract.input, { target: 'draft-7', io: 'input' }) as Record<string, unknown>);
  return { name: contract.name, description: contract.description, inputSchema };
}
/** A contract is frozen and its spec a pure function of it: converted once per process (and
 * per workflow sandbox), not at the start of every run. Callers must not mutate the spec. */
const specs = new WeakMap<ToolContract, ToolSpec>();

export type InputCheck<T> = { ok: true; value: T } | { ok: false; message: string };

/** Validates a model-supplied input. The message is written for the model to fix its call. */
export function checkToolInput<I extends z.ZodType>(contract: ToolContract<I>, input: unknown): InputCheck<z.infer<I>> {
  const parsed = contract.input.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = formatIssues(parsed.error, { max: 5 });
  return {
    ok: false,
    message: `Invalid arguments for tool "${contract.name}": ${issues}. Fix the arguments and call it again.`,
  };
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

/** What `runsEarly` reads of a contract (any contract, whatever its input type). */
type EarlyFacts = Pick<ToolContract, 'early' | 'effect' | 'local' | 'mcp'> & {
  approval: unknown;
  constraints?: unknown;
  tally?: unknown;
};

/**
 * Whether a call of this tool may run early: inside the model call's activity, as soon as
 * the answer asks for it, before the workflow has gated it (`docs/tools-and-approvals.md`,
 * "Early results"). Only where running it cannot do anything the gate would not have
 * allowed, and the gate's verdict cannot depend on the run's state beyond the principal: a
 * local read of this worker's catalog (not an MCP tool), no approval, no constraints, no
 * tally, and not kept out by its definition (`early: false`). The workflow still gates every call and drops an early result its gate would not
 * have run.
 */
export function runsEarly(contract: EarlyFacts): boolean {
  return (
    contract.early !== false &&
    contract.effect === 'read' &&
    contract.local &&
    contract.approval === 'never' &&
    !contract.constraints &&
    !contract.tally &&
    !contract.mcp
  );
}
