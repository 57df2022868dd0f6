import type { ApprovalDecisionInput, EscalationResolutionInput } from '../../core/approvals.ts';
import type { ModelRef } from '../../core/model.ts';
import type { WeakContextPolicy } from '../../core/retrieval.ts';
import type { TaskClass } from '../../core/routing.ts';

/** Where the CLI finds Temporal and the workers. */
export interface ConnectOptions {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** `run --rag`: retrieval before the first step; absent fields take the agent's defaults. */
export interface RagOptions {
  k?: number;
  minScore?: number;
  onWeak?: WeakContextPolicy;
}

/** The commands a user types, in usage order; `help` is not one (it needs no connection). */
export const commandNames = [
  'run',
  'task',
  'status',
  'result',
  'audit',
  'trace',
  'cancel',
  'watch',
  'approvals',
  'approve',
  'reject',
  'edit',
  'answer',
  'redirect',
  'end',
  'stats',
  'mcp',
  'forget',
  'erasures',
] as const;
export type CommandName = (typeof commandNames)[number];
export const isCommandName = (name: string): name is CommandName => (commandNames as readonly string[]).includes(name);

/** What a command line asks for, checked for form but not yet for content (files unread). */
export type Command =
  | { kind: 'help' }
  | {
      kind: 'run';
      connection: ConnectOptions;
      /** Path of a JSON `AgentDefinitionInput`; the example agent when absent. */
      agentFile?: string;
      model?: ModelRef;
      /** Path of a JSON `RoutingTableInput`, or `example`. */
      routing?: string;
      /** Path of a JSON `PrincipalInput`. */
      principalFile?: string;
      /** Path of a JSON Schema the answer must match. */
      outputSchemaFile?: string;
      retrieval?: RagOptions;
      runId?: string;
      task: string;
      wait: boolean;
      json: boolean;
    }
  /** A single request/response task (`completeTask`). */
  | {
      kind: 'task';
      connection: ConnectOptions;
      taskClass: TaskClass;
      /** The system prompt; `exampleTaskInstructions[taskClass]` when absent. */
      instructions?: string;
      model?: ModelRef;
      routing?: string;
      outputSchemaFile?: string;
      runId?: string;
      input: string;
      wait: boolean;
      json: boolean;
    }
  | { kind: 'status' | 'audit'; connection: ConnectOptions; runId: string; json: boolean }
  /** `timeoutMs`: give up waiting after this long (exit 3); wait as long as it takes without. */
  | { kind: 'result'; connection: ConnectOptions; runId: string; json: boolean; timeoutMs?: number }
  /** `trace`: every attempt of every call, one step or all; `detail` adds the messages sent. */
  | { kind: 'trace'; connection: ConnectOptions; runId: string; step?: number; detail: boolean; json: boolean }
  | { kind: 'cancel'; connection: ConnectOptions; runId: string }
  /** `from`: the first event offset (resume after a disconnect). */
  | { kind: 'watch'; connection: ConnectOptions; runId: string; json: boolean; from?: number }
  | { kind: 'approvals'; connection: ConnectOptions; limit?: number; json: boolean }
  | { kind: 'stats'; connection: ConnectOptions; since: Date; agent?: string; json: boolean }
  /** `mcp list`: a worker's MCP servers; `timeoutMs` for a worker to answer (30 s). */
  | { kind: 'mcp'; connection: ConnectOptions; json: boolean; timeoutMs?: number }
  /** `forget`: erase a closed run's stored content; `by` for the erasure log. */
  | { kind: 'forget'; connection: ConnectOptions; runId: string; by: string; json: boolean }
  /** `erasures`: the erasure log, of one run or all. */
  | { kind: 'erasures'; connection: ConnectOptions; runId?: string; limit?: number; json: boolean }
  /** approve, reject, edit: by Update, or by Signal with `async`. */
  | {
      kind: 'decide';
      connection: ConnectOptions;
      runId: string;
      decision: ApprovalDecisionInput;
      async: boolean;
      json: boolean;
    }
  /** answer, redirect, end an escalation. */
  | {
      kind: 'resolve';
      connection: ConnectOptions;
      runId: string;
      resolution: EscalationResolutionInput;
      json: boolean;
    };

/** One kind of command, e.g. `CommandOf<'run'>`. */
export type CommandOf<K extends Command['kind']> = Extract<Command, { kind: K }>;

export type ParseResult = Command | { error: string };
