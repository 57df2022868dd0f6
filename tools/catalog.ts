import { agentDefinitionSchema, type AgentDefinition, type AgentDefinitionInput } from '../core/run.ts';
import { delegateToolName } from '../core/delegation.ts';
import { formatIssues } from '../core/zod-issues.ts';
import { calculator } from './contracts/calculator.ts';
import { readDoc, searchDocs } from './contracts/search-docs.ts';
import type { ToolContract } from './define-tool.ts';

/** Tools every worker serves without being told: arithmetic and the knowledge base. */
export const builtInToolContracts = [calculator, searchDocs, readDoc] as const;
const builtInNames = new Set<string>(builtInToolContracts.map((t) => t.name));

/** A catalog that cannot work: duplicate names, an agent naming a tool nobody serves. The
 * message names the tool or agent and the fix. */
export class CatalogError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/**
 * What a worker offers: the user's tool contracts (beside Bosun's built-in ones) and named
 * agents. Sandbox-safe: the worker bundles the module that defines it into the workflow
 * code, so runs validate and authorize calls against exactly these contracts, and a service
 * starts a run by agent name (`{ agent: 'refunds', task }`).
 */
export interface Catalog<T extends readonly ToolContract[] = readonly ToolContract[]> {
  readonly kind: 'bosun.catalog';
  /** The user's tools (each needs a handler on the worker). */
  readonly tools: T;
  readonly agents: readonly AgentDefinition[];
  /** A tool by name: the user's or a built-in one. */
  tool(name: string): ToolContract | undefined;
  agent(name: string): AgentDefinition | undefined;
  /** Every tool name served, built-ins included. */
  toolNames(): string[];
}

/** An agent in a catalog: a run definition with a name; tools by name or by contract. */
export type AgentDefinitionIn = Omit<AgentDefinitionInput, 'tools'> & { tools?: readonly (string | ToolContract)[] };

/**
 * Checks an agent definition now (not at its first run): the same schema a run's input
 * passes, with defaults filled in.
 *
 * @example
 * export const refunds = defineAgent({
 *   name: 'refunds',
 *   instructions: 'Decide refunds by the policy; ask before paying out.',
 *   model: { provider: 'openai', name: 'gpt-4.1-mini' },
 *   tools: [lookupOrder, refundOrder],
 * });
 */
export function defineAgent(def: AgentDefinitionIn): AgentDefinition {
  const tools = (def.tools ?? []).map((t) => (typeof t === 'string' ? t : t.name));
  const parsed = agentDefinitionSchema.safeParse({ ...def, tools });
  if (!parsed.success) throw new CatalogError(`agent ${JSON.stringify(def.name)}: ${formatIssues(parsed.error)}`);
  return Object.freeze(parsed.data);
}

/**
 * Puts tools and agents together, checked: tool names are unique (and do not shadow a
 * built-in one), agent names are unique, and every agent's tools are served.
 *
 * @example
 * export default defineCatalog({ tools: [shippingEta, refundOrder], agents: [refunds] });
 */
export function defineCatalog<const T extends readonly ToolContract[] = readonly []>(def: {
  tools?: T;
  agents?: readonly (AgentDefinition | AgentDefinitionIn)[];
}): Catalog<T> {
  const tools = (def.tools ?? []) as T;
  const byName = new Map<string, ToolContract>(builtInToolContracts.map((t) => [t.name, t as ToolContract]));
  for (const t of tools) {
    if (builtInNames.has(t.name)) throw new CatalogError(`tool "${t.name}" has the name of a built-in tool; rename it`);
    if (byName.has(t.name)) throw new CatalogError(`two tools are named "${t.name}"; tool names must be unique`);
    byName.set(t.name, t);
  }
  const agents = new Map<string, AgentDefinition>();
  for (const a of def.agents ?? []) {
    const agent = defineAgent(a as AgentDefinitionIn);
    if (agents.has(agent.name))
      throw new CatalogError(`two agents are named "${agent.name}"; agent names must be unique`);
    const unknown = agent.tools.filter((n) => !byName.has(n));
    if (unknown.length) {
      throw new CatalogError(
        `agent "${agent.name}" names ${unknown.map((n) => `"${n}"`).join(', ')}, which this catalog does not serve (served: ${[...byName.keys()].join(', ')})`,
      );
    }
    agents.set(agent.name, agent);
  }
  for (const agent of agents.values()) checkDelegates(agent, agents, byName);
  return Object.freeze({
    kind: 'bosun.catalog' as const,
    tools,
    agents: [...agents.values()],
    tool: (name: string) => byName.get(name),
    agent: (name: string) => agents.get(name),
    toolNames: () => [...byName.keys()],
  });
}

/** Every agent an agent delegates to is in the catalog, offered under a tool name no other
 * tool of the agent has. */
function checkDelegates(
  agent: AgentDefinition,
  agents: Map<string, AgentDefinition>,
  tools: Map<string, ToolContract>,
): void {
  const names = new Set<string>();
  for (const d of agent.delegates) {
    const spec = typeof d === 'string' ? { agent: d } : d;
    if (!agents.has(spec.agent))
      throw new CatalogError(
        `agent "${agent.name}" delegates to "${spec.agent}", which this catalog does not define (agents: ${[...agents.keys()].join(', ')})`,
      );
    const tool = delegateToolName(spec);
    if (tools.has(tool) || names.has(tool))
      throw new CatalogError(
        `agent "${agent.name}" offers sub-agent "${spec.agent}" as the tool "${tool}", a name another tool has; set the delegate's \`tool\``,
      );
    names.add(tool);
  }
}

/** True for a value made by `defineCatalog` (a module's default export, say). */
export function isCatalog(value: unknown): value is Catalog {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'bosun.catalog';
}

/** Built-in tools only: what a worker serves when it is given no catalog. */
export const builtInCatalog: Catalog = defineCatalog({});
